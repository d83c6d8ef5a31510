//! Gateway request parameters: query string and form body merged, decoded in `charset`.
//!
//! Every SDK splits parameters differently between the URL and the body (PROTOCOL.md §A1),
//! so the gateway merges both (body wins) before anything else. Decoding is
//! form-urlencoded (`+` is a space, `%XX` a byte) done once, then the bytes are read in the
//! request's `charset` (UTF-8 or GBK).

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::sign_content::sign_content;
use crate::error::{Error, Result};

/// Longest `app_id` of the public parameter table (PROTOCOL §A2).
pub const MAX_APP_ID_LEN: usize = 32;
/// Longest `method` of the public parameter table (PROTOCOL §A2).
pub const MAX_METHOD_LEN: usize = 128;

/// The character sets a v1 request may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Charset {
    /// `utf-8` (what the Python and Node SDKs send).
    #[default]
    Utf8,
    /// `GBK` / `gb2312` / `GB18030` (the Java SDK lets apps pick it), read as GB18030, a
    /// superset, the way browsers and Java treat these labels.
    Gbk,
}

impl Charset {
    /// Reads a `charset` value; the gateway compares case-insensitively.
    pub fn from_label(label: &str) -> Result<Self> {
        match label.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Charset::Utf8),
            "gbk" | "gb2312" | "gb18030" => Ok(Charset::Gbk),
            other => Err(Error::GatewayRequest(format!(
                "unsupported charset {other:?}"
            ))),
        }
    }

    /// The label we send.
    pub fn as_str(self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Gbk => "GBK",
        }
    }

    /// Decodes bytes in this charset; malformed input is an error, never replaced silently
    /// (a replaced character would make the signature check fail for an obscure reason).
    pub fn decode(self, bytes: &[u8]) -> Result<String> {
        match self {
            Charset::Utf8 => String::from_utf8(bytes.to_vec()).map_err(|e| {
                Error::GatewayRequest(format!(
                    "invalid UTF-8 at byte {}",
                    e.utf8_error().valid_up_to()
                ))
            }),
            Charset::Gbk => {
                let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
                if had_errors {
                    return Err(Error::GatewayRequest("invalid GBK byte sequence".into()));
                }
                Ok(text.into_owned())
            }
        }
    }

    /// Encodes text in this charset; a character GBK cannot hold is an error.
    pub fn encode(self, text: &str) -> Result<Vec<u8>> {
        match self {
            Charset::Utf8 => Ok(text.as_bytes().to_vec()),
            Charset::Gbk => {
                let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
                if had_errors {
                    return Err(Error::GatewayRequest(
                        "text has characters that GBK cannot encode".into(),
                    ));
                }
                Ok(bytes.into_owned())
            }
        }
    }
}

impl fmt::Display for Charset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The merged, decoded parameters of one gateway request, sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayParams {
    map: BTreeMap<String, String>,
    charset: Charset,
}

impl GatewayParams {
    /// Builds parameters from already-decoded pairs (client side).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let map: BTreeMap<String, String> = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let charset = map
            .get("charset")
            .and_then(|c| Charset::from_label(c).ok())
            .unwrap_or_default();
        Self { map, charset }
    }

    /// Parses a raw query string and a raw `application/x-www-form-urlencoded` body.
    ///
    /// `content_type_charset` is the `charset=` of the Content-Type header, used only when
    /// the parameters themselves carry no `charset`.
    pub fn parse(query: &[u8], body: &[u8], content_type_charset: Option<&str>) -> Result<Self> {
        let query_pairs = split_form(query);
        let body_pairs = split_form(body);
        // The charset must be known before any non-ASCII value is read; its own value is ASCII.
        let declared = body_pairs
            .iter()
            .chain(query_pairs.iter())
            .find(|(k, _)| k.as_slice() == b"charset")
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
        let charset = match declared.as_deref().filter(|c| !c.is_empty()) {
            Some(label) => Charset::from_label(label)?,
            None => content_type_charset
                .map(Charset::from_label)
                .transpose()?
                .unwrap_or_default(),
        };
        let mut map = BTreeMap::new();
        // Query first, then body: the body wins on a duplicate key. Within one part, the
        // first occurrence wins (servlet `getParameter` semantics).
        for pairs in [&query_pairs, &body_pairs] {
            let mut seen = std::collections::HashSet::new();
            for (k, v) in pairs {
                let key = charset.decode(k)?;
                if !seen.insert(key.clone()) {
                    continue;
                }
                map.insert(key, charset.decode(v)?);
            }
        }
        Ok(Self { map, charset })
    }

    /// A parameter's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    /// A parameter's value if present and non-empty (empty counts as missing, as on the gateway).
    pub fn get_non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// Sets a parameter.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        if key == "charset" {
            self.charset = Charset::from_label(&value).unwrap_or_default();
        }
        self.map.insert(key, value);
    }

    /// Removes a parameter.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.map.remove(key)
    }

    /// The charset the request declared (UTF-8 when it declared none).
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// All parameters sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The string-to-sign of these parameters (see [`sign_content()`]).
    pub fn sign_content(&self) -> String {
        sign_content(self.iter())
    }
}

/// Splits `a=b&c=d` into percent- and plus-decoded byte pairs.
///
/// Hand-rolled rather than `form_urlencoded::parse` because that one decodes straight to UTF-8
/// (lossy), and GBK requests must be decoded from the raw bytes.
fn split_form(input: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    input
        .split(|&b| b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = match part.iter().position(|&b| b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &b""[..]),
            };
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(raw: &[u8]) -> Vec<u8> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&plus_as_space).collect()
}

/// How a client spells form-encoded values; the official SDKs differ in which
/// punctuation they leave alone, and byte-identical requests need the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormStyle {
    /// Python's `urllib.parse.quote_plus`: keeps `A-Z a-z 0-9 _ . - ~`.
    #[default]
    Python,
    /// WHATWG `URLSearchParams` (Node): keeps `A-Z a-z 0-9 * - . _`.
    Whatwg,
}

const PY_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b' ');
const WHATWG_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b' ');

/// Form-encodes one value: bytes in `charset`, space as `+`.
pub fn form_encode(value: &str, charset: Charset, style: FormStyle) -> Result<String> {
    let mut out = String::with_capacity(value.len());
    form_encode_into(&mut out, value, charset, style)?;
    Ok(out)
}

/// Appends the form encoding of `value` to `out` (one pass, no intermediate strings: this is
/// on every request a client signs).
fn form_encode_into(
    out: &mut String,
    value: &str,
    charset: Charset,
    style: FormStyle,
) -> Result<()> {
    let set = match style {
        FormStyle::Python => PY_KEEP,
        FormStyle::Whatwg => WHATWG_KEEP,
    };
    let gbk;
    let bytes = match charset {
        Charset::Utf8 => value.as_bytes(),
        Charset::Gbk => {
            gbk = charset.encode(value)?;
            &gbk
        }
    };
    // The sets keep ' ' as is, so a chunk holding one is a run of kept bytes.
    for chunk in percent_encode(bytes, set) {
        if chunk.contains(' ') {
            out.extend(chunk.chars().map(|c| if c == ' ' { '+' } else { c }));
        } else {
            out.push_str(chunk);
        }
    }
    Ok(())
}

/// Form-encodes `k=v&k=v` in the given order.
pub fn form_encode_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    charset: Charset,
    style: FormStyle,
) -> Result<String> {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        form_encode_into(&mut out, k, charset, style)?;
        out.push('=');
        form_encode_into(&mut out, v, charset, style)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_query_and_body_body_wins() {
        let p = GatewayParams::parse(b"a=1&b=q+x&c=%2F", b"b=body&d=", None).unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("body"));
        assert_eq!(p.get("c"), Some("/"));
        assert_eq!(p.get("d"), Some(""));
        assert_eq!(p.get_non_empty("d"), None);
    }

    #[test]
    fn gbk_values_decode_from_raw_bytes() {
        let body = format!(
            "charset=GBK&biz_content={}",
            form_encode("流浪地球", Charset::Gbk, FormStyle::Python).unwrap()
        );
        let p = GatewayParams::parse(b"", body.as_bytes(), None).unwrap();
        assert_eq!(p.charset(), Charset::Gbk);
        assert_eq!(p.get("biz_content"), Some("流浪地球"));
        // The same bytes read as UTF-8 are rejected rather than mangled.
        let p = GatewayParams::parse(
            b"charset=utf-8",
            body.replace("charset=GBK", "x=1").as_bytes(),
            None,
        );
        assert!(p.is_err());
    }

    #[test]
    fn styles_differ_only_where_the_sdks_do() {
        assert_eq!(
            form_encode("a b*~:/", Charset::Utf8, FormStyle::Python).unwrap(),
            "a+b%2A~%3A%2F"
        );
        assert_eq!(
            form_encode("a b*~:/", Charset::Utf8, FormStyle::Whatwg).unwrap(),
            "a+b*%7E%3A%2F"
        );
    }
}
