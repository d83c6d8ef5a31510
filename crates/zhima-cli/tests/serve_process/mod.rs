#![allow(dead_code)] // shared by test binaries that use different parts
//! Running the real `zhima serve` binary as a child process, for end-to-end tests and
//! benchmarks: spawn it, wait for its `listening on http://HOST:PORT` line, stop it with
//! SIGTERM and collect its exit status and output.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The line `zhima serve` prints on stdout once it accepts connections.
pub const LISTENING_PREFIX: &str = "listening on ";

/// A running `zhima serve` child. Dropping it kills the child.
pub struct ServeProcess {
    child: Option<Child>,
    base_url: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// What a stopped server left behind.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr (logs).
    pub stderr: String,
}

impl ServeProcess {
    /// Runs `bin serve ARGS…` in `cwd` and waits up to `timeout` for the listening line.
    /// Fails (with the child's stderr) when it exits or stays silent instead.
    pub fn spawn(
        bin: &Path,
        args: &[&str],
        cwd: &Path,
        timeout: Duration,
    ) -> io::Result<ServeProcess> {
        let mut child = Command::new(bin)
            .arg("serve")
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (url_tx, url_rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout is piped");
        let out_buf = stdout.clone();
        thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                {
                    let mut buf = out_buf.lock().unwrap_or_else(|p| p.into_inner());
                    buf.push_str(&line);
                    buf.push('\n');
                }
                if let Some(url) = line.strip_prefix(LISTENING_PREFIX) {
                    let _ = url_tx.send(url.trim().to_owned());
                }
            }
        });
        let err = child.stderr.take().expect("stderr is piped");
        let err_buf = stderr.clone();
        thread::spawn(move || drain(err, &err_buf));
        let mut proc = ServeProcess {
            child: Some(child),
            base_url: String::new(),
            stdout,
            stderr,
        };
        proc.base_url = proc.wait_for_url(&url_rx, timeout)?;
        Ok(proc)
    }

    fn wait_for_url(
        &mut self,
        rx: &mpsc::Receiver<String>,
        timeout: Duration,
    ) -> io::Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(url) => return Ok(url),
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                    if let Some(status) = self.child_mut().try_wait()? {
                        return Err(self.startup_error(format!("zhima serve exited with {status}")));
                    }
                }
                Err(_) => {
                    return Err(
                        self.startup_error("zhima serve did not print its listening line".into())
                    )
                }
            }
        }
    }

    fn startup_error(&mut self, what: String) -> io::Error {
        let _ = self.child_mut().kill();
        let _ = self.child_mut().wait();
        // Give the reader threads a moment to collect the last output.
        thread::sleep(Duration::from_millis(100));
        io::Error::other(format!("{what}; stderr:\n{}", self.stderr()))
    }

    fn child_mut(&mut self) -> &mut Child {
        self.child
            .as_mut()
            .expect("child is present until finished")
    }

    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits up to `timeout` for stdout to contain `needle` (the banner follows the
    /// listening line); returns stdout so far either way.
    pub fn wait_stdout(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.stdout();
            if out.contains(needle) || Instant::now() >= deadline {
                return out;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sends SIGTERM (via `kill`, Unix) without waiting.
    pub fn signal_term(&self) -> io::Result<()> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "kill -TERM {} failed: {status}",
                self.pid()
            )))
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit.
    pub fn terminate(mut self, timeout: Duration) -> io::Result<Finished> {
        self.signal_term()?;
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child_mut().try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child_mut().kill();
                return Err(io::Error::other(format!(
                    "zhima serve did not exit within {timeout:?} of SIGTERM"
                )));
            }
            thread::sleep(Duration::from_millis(20));
        };
        self.child = None;
        thread::sleep(Duration::from_millis(50));
        Ok(Finished {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        })
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn drain(mut r: impl Read, buf: &Mutex<String>) {
    let mut chunk = [0u8; 4096];
    while let Ok(n) = r.read(&mut chunk) {
        if n == 0 {
            break;
        }
        buf.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
}
