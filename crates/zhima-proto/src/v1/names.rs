//! The fixed names and values of the v1 wire that both sides spell: the `version` parameter,
//! the `trace_id` response header, the response node names. (v3's header names are
//! `v3::headers`.)

/// The `version` parameter of every v1 request.
pub const VERSION: &str = "1.0";

/// Response header carrying the platform's trace id (PROTOCOL.md §A: read by the Java and
/// Node SDKs); v3's is [`crate::v3::HEADER_TRACE_ID`].
pub const HEADER_TRACE_ID: &str = "trace_id";

/// The node name used when the request had no usable `method`.
pub const ERROR_RESPONSE_KEY: &str = "error_response";

/// The JSON member name of a method's response node: `zhima.data.state.data.sync` →
/// `zhima_data_state_data_sync_response`.
pub fn response_node_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}
