//! The v1 gateway protocol (`gateway.do`, PROTOCOL.md §A).
//!
//! * [`params`]: merge query + form body, decode in `charset` (server) and form-encode (client);
//! * [`sign_content`](mod@sign_content): the string-to-sign both sides build;
//! * [`request`]: sign a parameter set and lay it out on the wire as the official SDKs do;
//! * [`response`]: the signed JSON envelope the server writes;
//! * [`extract`]: the client's escape-aware extraction and verification of that envelope;
//! * [`notify`]: the asynchronous notifications the platform posts to merchants (sign / verify);
//! * [`names`]: the fixed wire names and values (`version`, `trace_id` header, `error_response`).

pub mod extract;
pub mod names;
pub mod notify;
pub mod params;
pub mod request;
pub mod response;
pub mod sign_content;

pub use extract::{
    extract_signed_node, verify_node, verify_response, SignedNode, VerifiedResponse,
};
pub use names::{response_node_key, ERROR_RESPONSE_KEY, HEADER_TRACE_ID, VERSION};
pub use notify::{notify_sign_content, sign_notify, verify_notify, NOTIFY_PARAMS};
pub use params::{
    form_encode, form_encode_pairs, Charset, FormStyle, GatewayParams, MAX_APP_ID_LEN,
    MAX_METHOD_LEN,
};
pub use request::{build_request, sign_params, verify_request, SdkLayout, SignedRequest};
pub use response::{assemble_response, build_response, ResponseNode};
pub use sign_content::sign_content;
