//! Reading a request out of a curl command line, as merchants paste it from their logs.
//!
//! Words are split by `shell-words` (POSIX quoting, backslash-newline continuations); only the
//! options that shape the request are interpreted: `-X`, `-H`, the `-d` family, `--json`,
//! `-G`, `--url` and the URL. Other options are skipped (with their argument when they take
//! one) so that a line copied with `-s -v --compressed -o out.json` still parses.

use zhima_proto::v1::{form_encode, Charset, FormStyle};

/// The parts of a request that matter for its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurlRequest {
    /// HTTP method (`-X`, else POST with data, else GET).
    pub method: String,
    /// The URL exactly as written.
    pub url: String,
    /// Headers in order, names as written.
    pub headers: Vec<(String, String)>,
    /// The body as curl would send it, if any.
    pub body: Option<Vec<u8>>,
}

/// Options that take an argument but do not shape the signed request.
const SKIPPED_WITH_VALUE: &[&str] = &[
    "-o",
    "--output",
    "-u",
    "--user",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-b",
    "--cookie",
    "-c",
    "--cookie-jar",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-x",
    "--proxy",
    "--cacert",
    "--capath",
    "-E",
    "--cert",
    "--key",
    "-w",
    "--write-out",
    "--retry",
    "--retry-delay",
    "--retry-max-time",
    "-r",
    "--range",
    "--resolve",
    "--connect-to",
    "-K",
    "--config",
    "--limit-rate",
    "-y",
    "--speed-time",
    "-Y",
    "--speed-limit",
    "--interface",
    "--trace",
    "--trace-ascii",
    "-D",
    "--dump-header",
    "--max-redirs",
    "-U",
    "--proxy-user",
];

/// How one data option turns its argument into body bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DataKind {
    /// `-d`/`--data`/`--data-ascii`: `@file` reads the file without CR/LF.
    Ascii,
    /// `--data-binary`: `@file` reads the file as is.
    Binary,
    /// `--data-raw`: never reads a file.
    Raw,
    /// `--data-urlencode`: `[name]=content` or `[name]@file`, content form-encoded.
    UrlEncode,
    /// `--json`: like `--data-binary`, and sets the JSON content type.
    Json,
}

fn data_kind(flag: &str) -> Option<DataKind> {
    Some(match flag {
        "-d" | "--data" | "--data-ascii" => DataKind::Ascii,
        "--data-binary" => DataKind::Binary,
        "--data-raw" => DataKind::Raw,
        "--data-urlencode" => DataKind::UrlEncode,
        "--json" => DataKind::Json,
        _ => return None,
    })
}

/// Parses a curl command line; `read_file` serves `@file` arguments.
pub fn parse(
    line: &str,
    read_file: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<CurlRequest, String> {
    let split = shell_words::split(line);
    // bash's $'…' quoting (browsers' "Copy as cURL (bash)" for bodies with quotes or
    // non-ASCII) is not POSIX: it splits into a `$`-prefixed word or not at all, which would
    // silently change the body that is diagnosed.
    let ansi_c = line.contains("$'")
        && split
            .as_ref()
            .map_or(true, |words| words.iter().any(|w| w.starts_with('$')));
    if ansi_c {
        return Err(
            "the curl line uses bash $'…' quoting, which cannot be read exactly: \
                    copy it as POSIX cURL, or pass the body with --url URL --body @FILE"
                .into(),
        );
    }
    let words = split.map_err(|e| format!("cannot split the curl line: {e}"))?;
    let mut words = words.into_iter().peekable();
    if words
        .peek()
        .is_some_and(|w| w == "curl" || w.ends_with("/curl"))
    {
        words.next();
    }
    let mut method = None;
    let mut url = None;
    let mut headers = Vec::new();
    let mut data: Vec<Vec<u8>> = Vec::new();
    let mut get = false;
    let mut json = false;
    while let Some(word) = words.next() {
        let mut value_of = |flag: &str| -> Result<String, String> {
            words
                .next()
                .ok_or_else(|| format!("curl option {flag} needs a value"))
        };
        // Short options glued to their value: -XPOST, -d'a=b', -H'K: V'.
        let (flag, glued) = match word.as_str() {
            w if w.len() > 2 && !w.starts_with("--") && ["-X", "-H", "-d"].contains(&&w[..2]) => {
                (w[..2].to_string(), Some(w[2..].to_string()))
            }
            w => (w.to_string(), None),
        };
        let mut value = |flag: &str| match glued.clone() {
            Some(v) => Ok(v),
            None => value_of(flag),
        };
        match flag.as_str() {
            "-X" | "--request" => method = Some(value(&flag)?),
            "-H" | "--header" => {
                let h = value(&flag)?;
                let (k, v) = h
                    .split_once(':')
                    .ok_or_else(|| format!("header {h:?} has no ':'"))?;
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            "--url" => url = Some(value(&flag)?),
            "-G" | "--get" => get = true,
            "-F" | "--form" => {
                return Err("multipart (-F) requests are not gateway requests".into())
            }
            f if data_kind(f).is_some() => {
                let kind = data_kind(f).expect("checked above");
                json |= kind == DataKind::Json;
                data.push(data_bytes(kind, &value(&flag)?, read_file)?);
            }
            f if SKIPPED_WITH_VALUE.contains(&f) => {
                value(&flag)?;
            }
            f if f.starts_with('-') => {}
            _ if url.is_none() => url = Some(word),
            _ => return Err(format!("unexpected argument {word:?} (a second URL?)")),
        }
    }
    let mut url = url.ok_or("the curl line has no URL")?;
    let mut body = (!data.is_empty()).then(|| data.join(&b'&'));
    if get {
        // -G moves the data into the query string.
        if let Some(query) = body.take() {
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}{}", String::from_utf8_lossy(&query));
        }
    }
    if json
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    let method = method.unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.into());
    Ok(CurlRequest {
        method,
        url,
        headers,
        body,
    })
}

fn data_bytes(
    kind: DataKind,
    arg: &str,
    read_file: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, String> {
    match kind {
        DataKind::Raw => Ok(arg.as_bytes().to_vec()),
        DataKind::Ascii => match arg.strip_prefix('@') {
            Some(file) => Ok(read_file(file)?
                .into_iter()
                .filter(|b| *b != b'\r' && *b != b'\n')
                .collect()),
            None => Ok(arg.as_bytes().to_vec()),
        },
        DataKind::Binary | DataKind::Json => match arg.strip_prefix('@') {
            Some(file) => read_file(file),
            None => Ok(arg.as_bytes().to_vec()),
        },
        DataKind::UrlEncode => url_encode_arg(arg, read_file),
    }
}

/// `--data-urlencode` forms: `content`, `=content`, `name=content`, `@file`, `name@file`.
fn url_encode_arg(
    arg: &str,
    read_file: &dyn Fn(&str) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, String> {
    let encode =
        |text: &str| form_encode(text, Charset::Utf8, FormStyle::Whatwg).map_err(|e| e.to_string());
    let eq = arg.find('=');
    let at = arg.find('@');
    let (name, content) = match (eq, at) {
        (Some(i), _) if at.is_none_or(|a| i < a) => (&arg[..i], arg[i + 1..].to_string()),
        (_, Some(i)) => {
            let bytes = read_file(&arg[i + 1..])?;
            let text = String::from_utf8(bytes)
                .map_err(|_| "--data-urlencode file is not UTF-8".to_string())?;
            (&arg[..i], text)
        }
        _ => ("", arg.to_string()),
    };
    let encoded = encode(&content)?;
    Ok(if name.is_empty() {
        encoded
    } else {
        format!("{name}={encoded}")
    }
    .into_bytes())
}

/// The request target of a URL exactly as written: path plus `?query`, no fragment.
pub fn request_target(url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("URL {url:?}: {e}"))?;
    if !parsed.has_host() {
        return Err(format!("URL {url:?} has no host"));
    }
    // Take the raw text after the authority: the signature covers the target as sent, and
    // `Url` would normalise it (percent-encoding, dot segments).
    let after_scheme = &url[url.find("://").map_or(0, |i| i + 3)..];
    let target = match after_scheme.find(['/', '?']) {
        Some(i) => &after_scheme[i..],
        None => "/",
    };
    let target = target.split('#').next().unwrap_or_default();
    Ok(if target.starts_with('?') {
        format!("/{target}")
    } else {
        target.to_string()
    })
}

/// The raw query of a URL (the text after `?`, without the fragment).
pub fn raw_query(url: &str) -> Result<String, String> {
    let target = request_target(url)?;
    Ok(target
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_files(name: &str) -> Result<Vec<u8>, String> {
        match name {
            "body.txt" => Ok(b"a=1\r\n&b=2\n".to_vec()),
            _ => Err(format!("no file {name}")),
        }
    }

    #[test]
    fn reads_method_headers_and_joined_data() {
        let line = "curl -sS -XPOST 'https://h.example/gateway.do?x=1' \\\n  -H 'Content-Type: application/x-www-form-urlencoded;charset=utf-8' \\\n  -d 'a=1' --data-raw '@b=2' -o /dev/null";
        let r = parse(line, &no_files).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "https://h.example/gateway.do?x=1");
        assert_eq!(
            r.headers,
            vec![(
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded;charset=utf-8".to_string()
            )]
        );
        assert_eq!(r.body.as_deref(), Some(&b"a=1&@b=2"[..]));
    }

    #[test]
    fn data_files_urlencode_and_get() {
        let r = parse("curl -d @body.txt https://h/x", &no_files).unwrap();
        assert_eq!(r.body.as_deref(), Some(&b"a=1&b=2"[..]));
        let r = parse("curl --data-binary @body.txt https://h/x", &no_files).unwrap();
        assert_eq!(r.body.as_deref(), Some(&b"a=1\r\n&b=2\n"[..]));
        let r = parse(
            "curl --data-urlencode 'biz={\"k\": \"流\"}' https://h/x",
            &no_files,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(r.body.unwrap()).unwrap(),
            "biz=%7B%22k%22%3A+%22%E6%B5%81%22%7D"
        );
        let r = parse("curl -G -d a=1 'https://h/x?b=2'", &no_files).unwrap();
        assert_eq!(
            (r.method.as_str(), r.url.as_str(), r.body),
            ("GET", "https://h/x?b=2&a=1", None)
        );
        assert!(parse("curl -d @missing https://h/x", &no_files).is_err());
        assert!(parse("curl -H 'broken' https://h/x", &no_files).is_err());
        assert!(parse("curl -d 'unterminated https://h/x", &no_files).is_err());
        assert!(parse("curl -s", &no_files).is_err());
    }

    #[test]
    fn request_target_is_raw() {
        assert_eq!(
            request_target("http://127.0.0.1:8080/v3/a/b?x=a%20b&y=+").unwrap(),
            "/v3/a/b?x=a%20b&y=+"
        );
        assert_eq!(request_target("https://h?x=1#frag").unwrap(), "/?x=1");
        assert_eq!(raw_query("https://h/gateway.do").unwrap(), "");
        assert!(request_target("not a url").is_err());
    }
}
