//! A fresh PostgreSQL database per test, dropped afterwards (also shared by the CLI tests).
//!
//! The server is `ZHIMA_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`,
//! which `scripts/test.sh` makes sure is running). A test that needs it and cannot reach it
//! fails with a message saying so; it never skips.
#![allow(dead_code)]

/// The storage engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Instantiates each `async fn name(backend: Backend)` as the tests `name::sqlite` and
/// `name::postgres` (the test crate's root must have `Backend` in scope).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    super::$name(super::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    super::$name(super::Backend::Postgres).await
                }
            }
        )*
    };
}

/// The maintenance database URL the test databases are created from.
pub fn admin_url() -> String {
    std::env::var("ZHIMA_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `zhima_t_<random>` on the test server; `DROP DATABASE … WITH (FORCE)` when dropped.
pub struct PgDatabase {
    /// Database name.
    pub name: String,
    /// URL of the database (the admin URL with its database replaced).
    pub url: String,
    admin: String,
}

/// Runs `f` with a client of `url` on a plain thread: the sync `postgres` client runs its own
/// runtime and must not be used from an async task.
fn with_client<T: Send>(url: &str, f: impl FnOnce(&mut postgres::Client) -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is required for this test but {url} cannot be reached ({e}); \
                     run scripts/test.sh (it starts PostgreSQL) or set ZHIMA_TEST_DATABASE_URL"
                )
            });
            f(&mut client)
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

impl PgDatabase {
    /// Creates a fresh, empty database.
    pub fn create() -> PgDatabase {
        let admin = admin_url();
        let name = format!("zhima_t_{}", uuid::Uuid::new_v4().simple());
        with_client(&admin, |c| {
            c.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create the test database")
        });
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base)
            .expect("ZHIMA_TEST_DATABASE_URL ends in /DATABASE");
        PgDatabase {
            url: format!("{base}/{name}"),
            name,
            admin,
        }
    }

    /// `host:port` of the server.
    pub fn host_port(&self) -> String {
        let after_at = self
            .url
            .rsplit_once('@')
            .map_or(self.url.as_str(), |(_, h)| h);
        let host = after_at.split('/').next().unwrap_or(after_at);
        if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:5432")
        }
    }

    /// The database's URL with the server replaced by `host_port` (a proxy).
    pub fn url_via(&self, host_port: &str) -> String {
        let (user, rest) = self.url.rsplit_once('@').expect("the URL names a user");
        let path = rest.split_once('/').map_or("", |(_, p)| p);
        format!("{user}@{host_port}/{path}")
    }

    /// Runs `sql` (one or more statements, simple protocol) in the test database and returns
    /// the first column of every row as text.
    pub fn simple_query(&self, sql: &str) -> Vec<String> {
        let sql = sql.to_owned();
        with_client(&self.url, move |c| {
            c.simple_query(&sql)
                .expect("query the test database")
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("").to_owned()),
                    _ => None,
                })
                .collect()
        })
    }

    /// Runs `sql` in the test database and returns the first column of every row as i64.
    pub fn query_i64(&self, sql: &str) -> Vec<i64> {
        let sql = sql.to_owned();
        with_client(&self.url, move |c| {
            c.query(&sql, &[])
                .expect("query the test database")
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .collect()
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Never panic in drop (a failing test is already unwinding): report and go on.
        let _ =
            std::thread::spawn(
                move || match postgres::Client::connect(&admin, postgres::NoTls) {
                    Ok(mut c) => {
                        if let Err(e) =
                            c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        {
                            eprintln!("cannot drop test database {name}: {e}");
                        }
                    }
                    Err(e) => eprintln!("cannot drop test database {name}: {e}"),
                },
            )
            .join();
    }
}
