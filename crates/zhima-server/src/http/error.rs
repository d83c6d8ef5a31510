//! The HTTP layer's one error type, split dropshot-style into what the caller is told
//! ([`Fault`]: a catalog code and a message) and what only the log gets (`log`: SQL errors,
//! which key was tried, the full string-to-sign, …).
//!
//! Gateway-level faults are named by meaning ([`GatewayFault`]) and rendered twice: as a v1
//! `sub_code` under its `code` group, and as a v3 `code` with its HTTP status.

use zhima_proto::catalog::{GatewaySubCode, V3ErrorCode};
use zhima_proto::validate::Violation;

use crate::error::{BizCode, Error, Rejection};

/// Protocol-level (gateway) failures, in the vocabulary of both protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GatewayFault {
    MissingMethod,
    MissingAppId,
    InvalidAppId,
    MissingSignatureType,
    InvalidSignatureType,
    /// The app has no key for this sign type, or the request names a cert the app lacks.
    MissingSignatureConfig,
    MissingSignature,
    InvalidSignature,
    MissingTimestamp,
    InvalidTimestamp,
    MissingVersion,
    InvalidVersion,
    InvalidCharset,
    InvalidFormat,
    InvalidEncoding,
    InvalidAppAuthToken,
    AppAuthTokenTimeOut,
    MissingAppCertSn,
    AppCertNotExist,
    NotValidEncryptType,
    NotValidEncryptKey,
    DecryptionUnknown,
    InvalidMethod,
    InvalidParameter,
    /// The body is over the limit (v3 answers it with HTTP 413).
    BodyTooLarge,
    /// The app is over its rate limit (v1 `isv.app-call-limited`, v3 429 `app-call-limited`).
    AppCallLimited,
}

impl GatewayFault {
    /// The v1 `sub_code` (its `code` group comes from the catalog).
    pub(crate) fn v1(self) -> GatewaySubCode {
        use GatewayFault as F;
        use GatewaySubCode as S;
        match self {
            F::MissingMethod => S::IsvMissingMethod,
            F::MissingAppId => S::IsvMissingAppId,
            F::InvalidAppId => S::IsvInvalidAppId,
            F::MissingSignatureType => S::IsvMissingSignatureType,
            F::InvalidSignatureType => S::IsvInvalidSignatureType,
            // v1 has no cert-specific sub_codes; "no key or certificate configured" fits.
            F::MissingSignatureConfig | F::MissingAppCertSn | F::AppCertNotExist => {
                S::IsvMissingSignatureConfig
            }
            F::MissingSignature => S::IsvMissingSignature,
            F::InvalidSignature => S::IsvInvalidSignature,
            F::MissingTimestamp => S::IsvMissingTimestamp,
            F::InvalidTimestamp => S::IsvInvalidTimestamp,
            F::MissingVersion => S::IsvMissingVersion,
            F::InvalidCharset | F::InvalidEncoding => S::IsvInvalidCharset,
            F::InvalidFormat => S::IsvInvalidFormat,
            F::InvalidAppAuthToken => S::AopInvalidAppAuthToken,
            F::AppAuthTokenTimeOut => S::AopAppAuthTokenTimeOut,
            F::NotValidEncryptType => S::IsvDecryptionErrorNotValidEncryptType,
            F::NotValidEncryptKey => S::IsvDecryptionErrorNotValidEncryptKey,
            F::DecryptionUnknown => S::IsvDecryptionErrorUnknown,
            F::InvalidMethod => S::IsvInvalidMethod,
            F::AppCallLimited => S::IsvAppCallLimited,
            // The gateway table has no invalid-version sub_code.
            F::InvalidVersion | F::InvalidParameter | F::BodyTooLarge => S::IsvInvalidParameter,
        }
    }

    /// The v3 error `code` (its HTTP status comes from the catalog).
    pub(crate) fn v3(self) -> V3ErrorCode {
        use GatewayFault as F;
        use V3ErrorCode as C;
        match self {
            F::MissingVersion => C::MissingVersion,
            F::InvalidVersion => C::InvalidVersion,
            F::InvalidEncoding => C::InvalidEncoding,
            F::MissingAppCertSn => C::MissingAppCertSn,
            F::AppCertNotExist => C::AppCertNotExist,
            other => other.v1().v3_code().unwrap_or(C::InvalidParameter),
        }
    }
}

/// What the caller is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fault {
    /// A gateway failure; `msg` replaces the catalog's default message when set.
    Gateway {
        kind: GatewayFault,
        msg: Option<String>,
    },
    /// A business rule said no (v1 40004 + sub_code, v3 business code).
    Business(Rejection),
    /// Something broke on our side: `SYSTEM_ERROR`, details in the log only.
    System,
    /// The storage cannot be reached (nothing was written; the caller may retry): v1 answers
    /// the gateway's `20000 isp.unknow-error`, v3 `503` with `SYSTEM_ERROR`.
    Unavailable,
}

/// A failed request: the public [`Fault`] plus an optional detail for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) fault: Fault,
    pub(crate) log: Option<String>,
}

impl ApiError {
    /// A gateway fault with the catalog's default message.
    pub(crate) fn gateway(kind: GatewayFault) -> Self {
        ApiError {
            fault: Fault::Gateway { kind, msg: None },
            log: None,
        }
    }

    /// A gateway fault with a specific public message.
    pub(crate) fn gateway_msg(kind: GatewayFault, msg: impl Into<String>) -> Self {
        ApiError {
            fault: Fault::Gateway {
                kind,
                msg: Some(msg.into()),
            },
            log: None,
        }
    }

    /// An internal failure; `detail` goes to the log only.
    pub(crate) fn system(detail: impl Into<String>) -> Self {
        ApiError {
            fault: Fault::System,
            log: Some(detail.into()),
        }
    }

    /// Refused because `max_in_flight` requests are being served: v1 `20000
    /// isp.unknow-error`, v3 503 (see `admission`).
    pub(crate) fn overloaded() -> Self {
        ApiError {
            fault: Fault::Unavailable,
            log: Some("refused: max_in_flight requests in flight".to_owned()),
        }
    }

    /// Attaches a log-only detail.
    pub(crate) fn log(mut self, detail: impl Into<String>) -> Self {
        self.log = Some(detail.into());
        self
    }

    /// The code the audit log records: the sub_code/code the caller saw.
    pub(crate) fn outcome(&self) -> String {
        match &self.fault {
            Fault::Gateway { kind, .. } => kind.v1().as_str().to_owned(),
            Fault::Business(r) => r.code.as_str().to_owned(),
            Fault::System => zhima_proto::catalog::CumulationCode::SystemError
                .as_str()
                .to_owned(),
            Fault::Unavailable => GatewaySubCode::IspUnknowError.as_str().to_owned(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Rejected(r) => ApiError {
                fault: Fault::Business(r),
                log: None,
            },
            Error::Internal(detail) | Error::Config(detail) => ApiError::system(detail),
            Error::Unavailable(detail) => ApiError {
                fault: Fault::Unavailable,
                log: Some(detail),
            },
        }
    }
}

impl<C: Into<BizCode>> From<Violation<C>> for ApiError {
    fn from(v: Violation<C>) -> Self {
        ApiError {
            fault: Fault::Business(Rejection::from(v)),
            log: None,
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        ApiError {
            fault: Fault::Business(r),
            log: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhima_proto::catalog::{CumulationCode, GatewayCode};

    #[test]
    fn every_gateway_fault_has_a_v1_group_and_a_v3_status() {
        use GatewayFault::*;
        let all = [
            MissingMethod,
            MissingAppId,
            InvalidAppId,
            MissingSignatureType,
            InvalidSignatureType,
            MissingSignatureConfig,
            MissingSignature,
            InvalidSignature,
            MissingTimestamp,
            InvalidTimestamp,
            MissingVersion,
            InvalidVersion,
            InvalidCharset,
            InvalidFormat,
            InvalidEncoding,
            InvalidAppAuthToken,
            AppAuthTokenTimeOut,
            MissingAppCertSn,
            AppCertNotExist,
            NotValidEncryptType,
            NotValidEncryptKey,
            DecryptionUnknown,
            InvalidMethod,
            InvalidParameter,
            AppCallLimited,
        ];
        for f in all {
            assert_ne!(f.v1().gateway_code(), GatewayCode::Success, "{f:?}");
            assert!((400..600).contains(&f.v3().http_status()), "{f:?}");
        }
        assert_eq!(InvalidSignature.v3(), V3ErrorCode::InvalidSignature);
        assert_eq!(InvalidSignature.v3().http_status(), 401);
        assert_eq!(
            InvalidAppAuthToken.v1().gateway_code(),
            GatewayCode::InsufficientTokenPermissions
        );
        assert_eq!(InvalidAppAuthToken.v3(), V3ErrorCode::InvalidAppAuthToken);
        assert_eq!(MissingAppCertSn.v3(), V3ErrorCode::MissingAppCertSn);
        assert_eq!(AppCallLimited.v3(), V3ErrorCode::AppCallLimited);
        assert_eq!(AppCallLimited.v3().http_status(), 429);
    }

    #[test]
    fn internal_details_stay_out_of_the_fault() {
        let e = ApiError::from(Error::internal("sqlite: disk I/O error at /secret/path"));
        assert_eq!(e.fault, Fault::System);
        assert_eq!(e.outcome(), "SYSTEM_ERROR");
        assert!(e.log.unwrap().contains("/secret/path"));
        let r = ApiError::from(Error::rejected(CumulationCode::IdempotentError, "x"));
        assert_eq!(r.outcome(), "IDEMPOTENT_ERROR");
        let u = ApiError::from(Error::Unavailable("postgres: connection refused".into()));
        assert_eq!(u.fault, Fault::Unavailable);
        assert_eq!(u.outcome(), "isp.unknow-error");
    }
}
