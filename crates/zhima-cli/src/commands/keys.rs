//! `zhima keys gen|inspect|convert`: RSA-2048 key pairs in every form the SDKs take
//! (PKCS#1 / PKCS#8 private keys, SPKI public keys, PEM or bare base64).
//!
//! Key files are read leniently on purpose: a PKCS#1 body pasted under a PKCS#8 header is
//! loaded by its body and the mix-up reported, so `inspect` can say what is wrong and
//! `convert` can repair it. `doctor` and `call` load their keys through the same helpers.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Serialize;
use zhima_proto::keys::{self, KeyKind, PrivateKey, PublicKey, TextEncoding};

use crate::Failure;

/// `zhima keys` subcommands.
#[derive(clap::Subcommand)]
pub enum KeysCommand {
    /// Generate an RSA-2048 key pair: the app private key and its SPKI public key.
    Gen(GenArgs),
    /// Say what key files are (kind, format, size, fingerprint) and whether a private and a
    /// public key match. Exits 1 when a pair does not match or a file has a problem.
    Inspect(InspectArgs),
    /// Convert a key between PKCS#1, PKCS#8, SPKI, PEM and bare base64.
    Convert(ConvertArgs),
}

/// Arguments of `zhima keys gen`.
#[derive(clap::Args)]
pub struct GenArgs {
    /// Directory to write into (created if missing).
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// File name prefix: writes NAME_private.pem and NAME_public.pem (.txt for base64).
    #[arg(long, default_value = "app")]
    name: String,
    /// Structure of the private key: pkcs1 (Python/Node SDKs) or pkcs8 (Java SDKs).
    #[arg(long, value_enum, default_value_t = PrivateForm::Pkcs1)]
    format: PrivateForm,
    /// Text encoding of both files.
    #[arg(long, value_enum, default_value_t = Encoding::Pem)]
    encoding: Encoding,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

/// Arguments of `zhima keys inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// Key files (`-` for stdin); every private key is checked against every public key.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Arguments of `zhima keys convert`.
#[derive(clap::Args)]
pub struct ConvertArgs {
    /// Input key file (`-` for stdin): any private key, public key or certificate.
    input: PathBuf,
    /// Output structure; `spki` of a private key is its public key.
    #[arg(long, value_enum)]
    to: KeyForm,
    /// Output text encoding.
    #[arg(long, value_enum, default_value_t = Encoding::Pem)]
    encoding: Encoding,
    /// Write to this file instead of stdout.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Overwrite an existing output file.
    #[arg(long)]
    force: bool,
}

/// Private key structures.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PrivateForm {
    /// `RSA PRIVATE KEY` (RFC 8017).
    Pkcs1,
    /// `PRIVATE KEY` (RFC 5208).
    Pkcs8,
}

/// Any output structure of `convert`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyForm {
    /// PKCS#1 private key.
    Pkcs1,
    /// PKCS#8 private key.
    Pkcs8,
    /// SPKI public key (what Alipay calls "the public key").
    Spki,
}

/// Text encodings of key files.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// `-----BEGIN …-----` armour, 64-column lines.
    Pem,
    /// One line of bare base64 (Alipay's key tool and the Java SDK).
    Base64,
}

/// Runs the command.
pub fn run(cmd: KeysCommand) -> Result<(), Failure> {
    match cmd {
        KeysCommand::Gen(args) => gen(args),
        KeysCommand::Inspect(args) => inspect(args),
        KeysCommand::Convert(args) => convert(args),
    }
}

// ------------------------------------------------------------------------------------------
// Shared helpers (also used by `doctor` and `call`)
// ------------------------------------------------------------------------------------------

/// A loaded key of either kind.
pub(crate) enum AnyKey {
    /// A private key (its public half is derivable).
    Private(PrivateKey),
    /// A public key or a certificate's key.
    Public(PublicKey),
}

impl AnyKey {
    /// The public half.
    pub(crate) fn public_key(&self) -> PublicKey {
        match self {
            AnyKey::Private(k) => k.public_key(),
            AnyKey::Public(k) => k.clone(),
        }
    }

    fn bits(&self) -> usize {
        match self {
            AnyKey::Private(k) => k.bits(),
            AnyKey::Public(k) => k.bits(),
        }
    }
}

/// A key read from text, with what it turned out to be.
pub(crate) struct LoadedKey {
    /// The key.
    pub key: AnyKey,
    /// What the DER is.
    pub kind: KeyKind,
    /// PEM or bare base64.
    pub encoding: TextEncoding,
    /// A PEM label that contradicts the body, e.g. the PKCS#1/PKCS#8 mix-up.
    pub label_problem: Option<String>,
}

/// Reads a file's bytes, or stdin for `-`. A missing file is a usage error (exit 2).
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Usage(format!("cannot read stdin: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
}

/// Reads a text file, or stdin for `-`.
pub(crate) fn read_input(path: &Path) -> Result<String, Failure> {
    String::from_utf8(read_bytes(path)?)
        .map_err(|_| Failure::Usage(format!("{} is not UTF-8 text", path.display())))
}

/// An argument that is literal text, `@FILE`, or `-` for stdin, as bytes.
pub(crate) fn read_arg(arg: &str) -> Result<Vec<u8>, Failure> {
    match arg.strip_prefix('@') {
        Some(file) => read_bytes(Path::new(file)),
        None if arg == "-" => read_bytes(Path::new("-")),
        None => Ok(arg.as_bytes().to_vec()),
    }
}

/// Reads and loads a key file; an unloadable key is an error naming the file.
pub(crate) fn load_key_file(path: &Path) -> Result<LoadedKey, Failure> {
    let text = String::from_utf8(read_bytes(path)?).map_err(|_| {
        Failure::Other(format!(
            "{}: binary, not PEM or base64 key text (a DER file? convert it first: \
             openssl pkey -inform DER -in FILE -out FILE.pem)",
            path.display()
        ))
    })?;
    load_key_text(&text).map_err(|e| Failure::Other(format!("{}: {e}", path.display())))
}

/// Loads key text by what its DER is, whatever its PEM label says.
pub(crate) fn load_key_text(text: &str) -> Result<LoadedKey, zhima_proto::Error> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let (der, label, encoding) = if trimmed.contains("-----BEGIN ") {
        let block = keys::pem_blocks(trimmed)?
            .into_iter()
            .next()
            .ok_or_else(|| zhima_proto::Error::KeyFormat("no PEM block".into()))?;
        if block.label.starts_with("ENCRYPTED") {
            return Err(zhima_proto::Error::KeyFormat(format!(
                "the key is password-protected ({}); export it unencrypted first: \
                 openssl pkey -in FILE -out FILE.plain.pem",
                block.label
            )));
        }
        (block.der, Some(block.label), TextEncoding::Pem)
    } else if trimmed.is_empty() {
        return Err(zhima_proto::Error::KeyFormat("empty key text".into()));
    } else {
        // Offsets in errors count from the start of the file, as the user sees it.
        let offset = text.len() - text.trim_start_matches('\u{feff}').trim_start().len();
        let der = keys::decode_base64_lenient(trimmed, offset).map_err(|e| {
            zhima_proto::Error::KeyFormat(format!(
                "no -----BEGIN …----- PEM block, and not bare base64 either ({e})"
            ))
        })?;
        (der, None, TextEncoding::Base64)
    };
    let kind = keys::classify_der(&der)?;
    let key = der_to_key(kind, &der).map_err(|e| match e {
        zhima_proto::Error::KeyRejected(why) => zhima_proto::Error::KeyRejected(format!(
            "{why} (the crypto library refuses this RSA key; Alipay keys are RSA-2048, \
             and keys under 2048 bits are refused)"
        )),
        other => other,
    })?;
    let label_problem = label.and_then(|l| label_problem(&l, kind));
    Ok(LoadedKey {
        key,
        kind,
        encoding,
        label_problem,
    })
}

fn der_to_key(kind: KeyKind, der: &[u8]) -> Result<AnyKey, zhima_proto::Error> {
    Ok(match kind {
        KeyKind::Pkcs1Private => AnyKey::Private(PrivateKey::from_pkcs1_der(der)?),
        KeyKind::Pkcs8Private => AnyKey::Private(PrivateKey::from_pkcs8_der(der)?),
        KeyKind::SpkiPublic => AnyKey::Public(PublicKey::from_spki_der(der)?),
        KeyKind::Pkcs1Public => AnyKey::Public(PublicKey::from_pkcs1_der(der)?),
        KeyKind::Certificate => AnyKey::Public(PublicKey::from_certificate_der(der)?),
    })
}

/// The PEM label a kind should have.
fn expected_label(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Pkcs1Private => "RSA PRIVATE KEY",
        KeyKind::Pkcs8Private => "PRIVATE KEY",
        KeyKind::SpkiPublic => "PUBLIC KEY",
        KeyKind::Pkcs1Public => "RSA PUBLIC KEY",
        KeyKind::Certificate => "CERTIFICATE",
    }
}

fn label_problem(label: &str, kind: KeyKind) -> Option<String> {
    let expected = expected_label(kind);
    (label != expected).then(|| {
        format!(
            "PEM header -----BEGIN {label}----- over the body of an {}: the header should be \
             -----BEGIN {expected}----- (`zhima keys convert` rewrites it correctly)",
            kind.describe()
        )
    })
}

/// Writes `text` to `path`, refusing to replace a file unless `force`; secrets are created
/// owner-only (0600) on Unix.
pub(crate) fn write_output(
    path: &Path,
    text: &str,
    secret: bool,
    force: bool,
) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Failure::Usage(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        )),
        _ => Failure::Other(format!("cannot write {}: {e}", path.display())),
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Failure::Other(format!("cannot write {}: {e}", path.display())))
}

fn encoding_name(e: TextEncoding) -> &'static str {
    match e {
        TextEncoding::Pem => "PEM",
        TextEncoding::Base64 => "base64",
    }
}

// ------------------------------------------------------------------------------------------
// gen
// ------------------------------------------------------------------------------------------

fn gen(args: GenArgs) -> Result<(), Failure> {
    let ext = match args.encoding {
        Encoding::Pem => "pem",
        Encoding::Base64 => "txt",
    };
    let private_path = args.out_dir.join(format!("{}_private.{ext}", args.name));
    let public_path = args.out_dir.join(format!("{}_public.{ext}", args.name));
    // Check both before writing either, so a refusal leaves nothing half-done.
    if !args.force {
        for path in [&private_path, &public_path] {
            if path.exists() {
                return Err(Failure::Usage(format!(
                    "{} already exists; pass --force to overwrite it",
                    path.display()
                )));
            }
        }
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| Failure::Other(format!("cannot create {}: {e}", args.out_dir.display())))?;
    let key = PrivateKey::generate()?;
    let form = match args.format {
        PrivateForm::Pkcs1 => KeyForm::Pkcs1,
        PrivateForm::Pkcs8 => KeyForm::Pkcs8,
    };
    let any = AnyKey::Private(key);
    write_output(
        &private_path,
        &render(&any, form, args.encoding)?,
        true,
        args.force,
    )?;
    write_output(
        &public_path,
        &render(&any, KeyForm::Spki, args.encoding)?,
        false,
        args.force,
    )?;
    println!(
        "private key: {} ({}, keep it secret)",
        private_path.display(),
        describe_form(form)
    );
    println!(
        "public key:  {} (SPKI; register it with the platform)",
        public_path.display()
    );
    println!("fingerprint: {}", any.public_key().fingerprint());
    Ok(())
}

fn describe_form(form: KeyForm) -> &'static str {
    match form {
        KeyForm::Pkcs1 => KeyKind::Pkcs1Private.describe(),
        KeyForm::Pkcs8 => KeyKind::Pkcs8Private.describe(),
        KeyForm::Spki => KeyKind::SpkiPublic.describe(),
    }
}

/// Writes a key in the requested structure and encoding.
fn render(key: &AnyKey, form: KeyForm, encoding: Encoding) -> Result<String, Failure> {
    let (label, der) = match (key, form) {
        (AnyKey::Private(k), KeyForm::Pkcs1) => ("RSA PRIVATE KEY", k.to_pkcs1_der()),
        (AnyKey::Private(k), KeyForm::Pkcs8) => ("PRIVATE KEY", k.to_pkcs8_der()),
        (any, KeyForm::Spki) => ("PUBLIC KEY", any.public_key().spki_der().to_vec()),
        (AnyKey::Public(_), _) => {
            return Err(Failure::Usage(
                "the input is a public key; it can only be converted to spki".into(),
            ))
        }
    };
    Ok(match encoding {
        Encoding::Pem => keys::to_pem(label, &der),
        Encoding::Base64 => format!("{}\n", STANDARD.encode(&der)),
    })
}

// ------------------------------------------------------------------------------------------
// inspect
// ------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct FileReport {
    path: String,
    /// Machine-readable structure: pkcs1, pkcs8, spki, pkcs1_public or certificate.
    format: &'static str,
    kind: &'static str,
    private: bool,
    encoding: &'static str,
    bits: usize,
    fingerprint: String,
    problem: Option<String>,
}

#[derive(Serialize)]
struct PairReport {
    private: String,
    public: String,
    matches: bool,
}

#[derive(Serialize)]
struct InspectReport {
    files: Vec<FileReport>,
    pairs: Vec<PairReport>,
}

fn inspect(args: InspectArgs) -> Result<(), Failure> {
    let mut loaded = Vec::new();
    let mut files = Vec::new();
    for path in &args.files {
        let key = load_key_file(path)?;
        files.push(FileReport {
            path: path.display().to_string(),
            format: format_code(key.kind),
            kind: key.kind.describe(),
            private: key.kind.is_private(),
            encoding: encoding_name(key.encoding),
            bits: key.key.bits(),
            fingerprint: key.key.public_key().fingerprint(),
            problem: key.label_problem.clone(),
        });
        loaded.push((path.display().to_string(), key));
    }
    let mut pairs = Vec::new();
    for (private_path, private) in &loaded {
        let AnyKey::Private(private) = &private.key else {
            continue;
        };
        for (public_path, public) in &loaded {
            if let AnyKey::Public(public) = &public.key {
                pairs.push(PairReport {
                    private: private_path.clone(),
                    public: public_path.clone(),
                    matches: private.matches(public),
                });
            }
        }
    }
    let report = InspectReport { files, pairs };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_inspect(&report);
    }
    let bad_pair = report.pairs.iter().any(|p| !p.matches);
    let bad_file = report.files.iter().any(|f| f.problem.is_some());
    if bad_pair || bad_file {
        return Err(Failure::Other(
            if bad_pair {
                "a private key and a public key do not match"
            } else {
                "a key file has a problem"
            }
            .into(),
        ));
    }
    Ok(())
}

fn format_code(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Pkcs1Private => "pkcs1",
        KeyKind::Pkcs8Private => "pkcs8",
        KeyKind::SpkiPublic => "spki",
        KeyKind::Pkcs1Public => "pkcs1_public",
        KeyKind::Certificate => "certificate",
    }
}

fn print_inspect(report: &InspectReport) {
    for f in &report.files {
        println!("{}: {}, {}, {} bits", f.path, f.kind, f.encoding, f.bits);
        let whose = if f.private { "public key " } else { "" };
        println!("  {whose}SHA-256 fingerprint: {}", f.fingerprint);
        if let Some(problem) = &f.problem {
            println!("  problem: {problem}");
        }
    }
    for p in &report.pairs {
        let verdict = if p.matches {
            "MATCH: they are one key pair"
        } else {
            "DO NOT MATCH: signatures made with this private key will not verify with this public key"
        };
        println!("{} + {}: {verdict}", p.private, p.public);
    }
}

// ------------------------------------------------------------------------------------------
// convert
// ------------------------------------------------------------------------------------------

fn convert(args: ConvertArgs) -> Result<(), Failure> {
    let key = load_key_file(&args.input)?;
    if let Some(problem) = &key.label_problem {
        eprintln!("zhima: note: {}: {problem}", args.input.display());
    }
    let text = render(&key.key, args.to, args.encoding)?;
    match &args.out {
        Some(path) => write_output(path, &text, args.to != KeyForm::Spki, args.force),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
