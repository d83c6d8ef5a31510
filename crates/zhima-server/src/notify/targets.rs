//! Which notify targets may be contacted (PRODUCT §12): every target must be an `http`/`https`
//! URL with a host; a request's own `notify_url` must also name an allowed host — loopback,
//! the host of a configured app `notify_url`, or one of `[server] notify_allowed_hosts`.
//! Anything else is refused without a connection (`FAILED` "host not allowed").

use std::collections::HashSet;
use std::net::IpAddr;

use url::{Host, Url};

use crate::error::Result;
use crate::storage::Storage;

/// The refusal recorded for a host outside the allowed set.
pub const HOST_NOT_ALLOWED: &str = "host not allowed";

/// The hosts a request's `notify_url` may name (besides loopback), lower case.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    hosts: HashSet<String>,
}

impl AllowedHosts {
    /// The configured `extra` hosts plus the hosts of every app's `notify_url` in storage.
    pub async fn new(storage: &Storage, extra: &[String]) -> Result<AllowedHosts> {
        let apps = storage.apps().await?;
        Ok(AllowedHosts::from_parts(
            extra,
            apps.iter().filter_map(|a| a.notify_url.as_deref()),
        ))
    }

    /// From the configured hosts and the apps' notify URLs.
    pub fn from_parts<'a>(extra: &[String], app_urls: impl IntoIterator<Item = &'a str>) -> Self {
        let mut hosts: HashSet<String> = extra.iter().map(|h| normalise(h)).collect();
        hosts.extend(
            app_urls
                .into_iter()
                .filter_map(|u| Url::parse(u).ok())
                .filter_map(|u| u.host_str().map(normalise)),
        );
        AllowedHosts { hosts }
    }

    fn allows(&self, host: &Host<&str>) -> bool {
        let loopback = match host {
            Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
            Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
            Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        };
        let name = match host {
            Host::Ipv6(ip) => format!("[{ip}]"),
            other => other.to_string(),
        };
        loopback || self.hosts.contains(&normalise(&name))
    }
}

fn normalise(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The URL to post to, or why it may not be contacted. `allowed` is needed only for a
/// request's URL (`from_request`); without it such a URL is refused.
pub fn check_target(
    url: &str,
    from_request: bool,
    allowed: Option<&AllowedHosts>,
) -> std::result::Result<Url, String> {
    let parsed = Url::parse(url).map_err(|e| format!("notify_url is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "scheme {:?} not allowed (http or https only)",
            parsed.scheme()
        ));
    }
    let Some(host) = parsed.host() else {
        return Err("notify_url has no host".to_owned());
    };
    if from_request && !allowed.is_some_and(|a| a.allows(&host)) {
        return Err(HOST_NOT_ALLOWED.to_owned());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_reach_only_allowed_hosts() {
        let allowed = AllowedHosts::from_parts(
            &["Hooks.Example.com".to_owned()],
            ["https://merchant.example.cn:8443/notify"],
        );
        let ok = |u: &str| check_target(u, true, Some(&allowed)).is_ok();
        assert!(ok("http://127.0.0.1:9/n"));
        assert!(ok("http://127.8.0.1/n"));
        assert!(ok("http://[::1]:80/n"));
        assert!(ok("http://localhost/n"));
        assert!(ok("https://hooks.example.com/x"));
        assert!(ok("https://merchant.example.cn/other"));
        assert_eq!(
            check_target("http://169.254.169.254/latest", true, Some(&allowed)),
            Err(HOST_NOT_ALLOWED.to_owned())
        );
        assert_eq!(
            check_target("http://evil.example/n", true, None),
            Err(HOST_NOT_ALLOWED.to_owned())
        );
        // The app's own configured URL is not checked against the list.
        assert!(check_target("http://10.0.0.5/n", false, None).is_ok());
        assert!(check_target("ftp://127.0.0.1/n", false, None)
            .unwrap_err()
            .contains("scheme"));
        assert!(check_target("file:///etc/passwd", true, Some(&allowed)).is_err());
    }
}
