//! `cp247 init` and `cp247 key export`: a node's directory, configuration and OpenPGP key; and
//! the helpers the trust commands share (the node directory, passphrase, clock, bounded file
//! IO). The configuration itself is read and written only through `cp247_server::config`.
//!
//! A node directory holds:
//!
//! | file | what |
//! |---|---|
//! | `cp247.toml` | the configuration (`cp247_server::config::ConfigFile`, the schema `serve` reads) |
//! | `node-key.asc` | the node's secret key, passphrase-protected (mode 0600) |
//! | `secrets.key` | the key that seals the TOTP seeds in the database (mode 0600); back it up with the directory, apart from the database |
//! | `node-cert.asc` | the node's public certificate |
//! | `authority-cert.asc` | the pinned directory-authority certificate |
//! | `directory.json`, `directory.json.asc` | the last accepted network directory (written by `cp247 directory update`) |
//! | `cp247.db` | the SQLite database (created by the node) |
//!
//! Passphrases come from `--passphrase-file PATH` or the `CP247_PASSPHRASE` environment
//! variable, never from the command line, and are never printed.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cp247_directory::{AcceptancePolicy, DirectoryState, PinnedAuthority, SignedDirectory};
use cp247_domain::{Address, Clock, ContactPointRole, Instant, PartyCode, SystemClock};
use cp247_seal::{Cert, NodeKey, Passphrase};
use cp247_server::config::{
    AUTHORITY_CERT_FILE, CONFIG_FILE_NAME, ConfigFile, NODE_CERT_FILE, NODE_KEY_FILE, NodeFile,
};
use jiff::Timestamp;

/// The environment variable that may hold the passphrase.
pub const PASSPHRASE_ENV: &str = "CP247_PASSPHRASE";
/// The largest key, certificate or configuration file read, in bytes.
const MAX_SMALL_FILE: u64 = 1024 * 1024;

/// A loaded node directory: its `cp247.toml` read through the server's configuration module
/// (the one schema `serve` reads too, tuning tables included), with the file helpers the trust
/// commands share.
#[derive(Debug)]
pub struct Node {
    /// The configuration and the node directory (absolute) its paths resolve against.
    pub files: NodeFile,
}

impl Node {
    /// Reads `DIR/cp247.toml` (with the `CP247__…` environment overrides, as `serve` does).
    pub fn load(dir: &Path) -> anyhow::Result<Node> {
        let path = dir.join(CONFIG_FILE_NAME);
        if !path.is_file() {
            bail!(
                "{} is not a node directory: it has no {CONFIG_FILE_NAME} (run 'cp247 init')",
                dir.display()
            );
        }
        let files = ConfigFile::read(&path, &crate::serve::config_overrides())?;
        Ok(Node { files })
    }

    /// The contact point this node speaks for.
    pub fn address(&self) -> Address {
        self.files.address()
    }

    /// The pinned authority. A missing or unreadable certificate is an error: the node never
    /// runs without its trust anchor.
    pub fn anchor(&self) -> anyhow::Result<PinnedAuthority> {
        let path = self.files.authority_cert();
        let text = read_text(&path, MAX_SMALL_FILE).with_context(|| {
            format!(
                "the pinned directory-authority certificate {} cannot be read; without it no directory is trusted",
                path.display()
            )
        })?;
        PinnedAuthority::from_armored(&text).with_context(|| {
            format!(
                "the pinned directory-authority certificate {} is not usable",
                path.display()
            )
        })
    }

    /// The acceptance policy from the configuration.
    pub fn policy(&self) -> AcceptancePolicy {
        AcceptancePolicy {
            grace: self.files.directory_grace(),
            ..AcceptancePolicy::default()
        }
    }

    /// The node's directory state: the last accepted directory, checked again against the
    /// pinned authority; no directory yet is an empty state (which refuses all traffic).
    pub fn directory_state(&self, now: Timestamp) -> anyhow::Result<DirectoryState> {
        let anchor = self.anchor()?;
        let path = self.files.directory_file();
        if !path.exists() {
            return Ok(DirectoryState::new(anchor, self.policy()));
        }
        let signed = read_signed_directory(&path, None)?;
        DirectoryState::restore(anchor, self.policy(), &signed, now).map_err(|e| {
            anyhow::anyhow!(
                "the node's directory {} is refused ({}): {e}",
                path.display(),
                e.code()
            )
        })
    }

    /// The node's secret key, unlocked.
    pub fn key(&self, passphrase_file: Option<&Path>) -> anyhow::Result<NodeKey> {
        let path = self.files.node_key();
        let text = read_text(&path, MAX_SMALL_FILE)
            .with_context(|| format!("the node key {} cannot be read", path.display()))?;
        let pass = read_passphrase(passphrase_file)?;
        NodeKey::from_locked_armored(&text, &pass)
            .with_context(|| format!("the node key {} cannot be unlocked", path.display()))
    }
}

/// Reads a directory file and its signature (`FILE.asc` unless given).
pub fn read_signed_directory(
    path: &Path,
    signature: Option<&Path>,
) -> anyhow::Result<SignedDirectory> {
    let json = read_bytes(path, cp247_directory::model::MAX_DIRECTORY_BYTES as u64)
        .with_context(|| format!("the directory {} cannot be read", path.display()))?;
    let sig_path = signature.map_or_else(|| asc_path(path), Path::to_owned);
    let sig = read_text(
        &sig_path,
        cp247_directory::accept::MAX_SIGNATURE_FILE_BYTES as u64,
    )
    .with_context(|| {
        format!(
            "the directory signature {} cannot be read",
            sig_path.display()
        )
    })?;
    SignedDirectory::new(json, sig).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `PATH.asc`.
pub fn asc_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".asc");
    PathBuf::from(s)
}

/// The passphrase from `file` (its content without the final line break) or from
/// `CP247_PASSPHRASE`.
#[allow(clippy::disallowed_methods)] // the CLI's configuration reads the environment here only
pub fn read_passphrase(file: Option<&Path>) -> anyhow::Result<Passphrase> {
    let text = match file {
        Some(path) => {
            let mut text = read_text(path, 4096).with_context(|| {
                format!("the passphrase file {} cannot be read", path.display())
            })?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            text
        }
        None => match std::env::var(PASSPHRASE_ENV) {
            Ok(text) => text,
            Err(_) => bail!(
                "no passphrase: give --passphrase-file PATH or set {PASSPHRASE_ENV} (a passphrase is never accepted on the command line)"
            ),
        },
    };
    if text.is_empty() {
        bail!("the passphrase is empty; an empty passphrase does not protect a key at rest");
    }
    Ok(Passphrase::new(text))
}

/// An environment variable's value, if set and not empty.
#[allow(clippy::disallowed_methods)] // the CLI's configuration reads the environment here only
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The clock option every trust command takes.
#[derive(Debug, Clone, Args)]
pub struct TimeArgs {
    /// Act as if the time were this RFC 3339 instant (for tests and for checking what was valid
    /// at a past instant; a warning is printed). Like GnuPG's --faked-system-time.
    #[arg(long, value_name = "INSTANT")]
    pub faked_system_time: Option<Instant>,
}

impl TimeArgs {
    /// Now, from the system clock or the faked time.
    pub fn now(&self) -> Timestamp {
        match self.faked_system_time {
            Some(t) => {
                eprintln!("cp247: WARNING: using the faked system time {t}");
                t.timestamp()
            }
            None => SystemClock.now(),
        }
    }
}

/// Reads at most `limit` bytes of `path`; a larger file is an error.
pub fn read_bytes(path: &Path, limit: u64) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut out)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if out.len() as u64 > limit {
        bail!("{} is larger than {limit} bytes", path.display());
    }
    Ok(out)
}

/// Reads a UTF-8 text of at most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> anyhow::Result<String> {
    String::from_utf8(read_bytes(path, limit)?)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// Creates `path` (which must not exist) with `mode` and writes `data`.
pub fn write_new(path: &Path, data: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Creates the directory `dir` holding `files` (name, content, mode) and empty `subdirs`, all
/// at once: everything is written in a temporary sibling directory that is then renamed to
/// `dir`, so a failure leaves nothing half-made. `dir` must not exist, or be an empty directory.
pub fn create_dir_with(
    dir: &Path,
    files: &[(&str, &[u8], u32)],
    subdirs: &[&str],
) -> anyhow::Result<()> {
    let name = dir
        .file_name()
        .with_context(|| format!("{} is not a directory name", dir.display()))?;
    let parent = dir.parent().unwrap_or(Path::new("."));
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = parent.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&tmp);
    let result = (|| {
        fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        for sub in subdirs {
            fs::create_dir(tmp.join(sub))
                .with_context(|| format!("cannot create {}", tmp.join(sub).display()))?;
        }
        for (file, data, mode) in files {
            write_new(&tmp.join(file), data, *mode)?;
        }
        fs::rename(&tmp, dir).with_context(|| format!("cannot create {}", dir.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// Replaces `path` atomically: writes a temporary file beside it, then renames it.
pub fn write_replace(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    write_new(&tmp, data, 0o644)?;
    fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// `cp247 init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The node directory to create (it must not exist, or be empty).
    #[arg(long)]
    dir: PathBuf,
    /// The node's Party (ISO 3166-1 alpha-2, e.g. FR).
    #[arg(long)]
    party: PartyCode,
    /// Which contact point of the Party the node serves.
    #[arg(long, default_value = "primary", value_parser = parse_role)]
    contact_point: ContactPointRole,
    /// The node's name, for people (e.g. "OCLCTIC 24/7").
    #[arg(long)]
    name: String,
    /// The directory authority's certificate, pinned by the node.
    #[arg(long, value_name = "FILE")]
    authority_cert: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// The public HTTPS endpoint peers reach the node at.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Where fresh directories come from (a path or URL).
    #[arg(long, value_name = "SOURCE")]
    directory_source: Option<String>,
    /// A file holding the passphrase that protects the node key (else CP247_PASSPHRASE).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    time: TimeArgs,
}

/// Parses `primary` or `alternate`.
pub fn parse_role(text: &str) -> Result<ContactPointRole, String> {
    match text {
        "primary" => Ok(ContactPointRole::Primary),
        "alternate" => Ok(ContactPointRole::Alternate),
        other => Err(format!(
            "'{other}' is not a contact point role: use primary or alternate"
        )),
    }
}

/// `cp247 init`: creates a node directory. Exit 0 on success; 1 with the reason otherwise.
pub fn run_init(args: InitArgs) -> anyhow::Result<ExitCode> {
    let now = args.time.now();
    if args.party.is_organisation() {
        bail!(
            "{} is an organisation; a node belongs to a Party, which is a country",
            args.party
        );
    }
    if let Some(endpoint) = &args.endpoint {
        cp247_directory::contact::Endpoint::parse(endpoint)?;
    }
    let authority_text = read_text(&args.authority_cert, MAX_SMALL_FILE).with_context(|| {
        format!(
            "the authority certificate {} cannot be read",
            args.authority_cert.display()
        )
    })?;
    let authority = Cert::from_armored(&authority_text).with_context(|| {
        format!(
            "{} is not a usable authority certificate",
            args.authority_cert.display()
        )
    })?;
    authority
        .check_policy(now)
        .context("the authority certificate does not meet cp247's key policy")?;
    let pass = read_passphrase(args.passphrase_file.as_deref())?;
    if args.dir.join(CONFIG_FILE_NAME).exists() {
        bail!(
            "{} is already a node directory; cp247 init never overwrites one",
            args.dir.display()
        );
    }
    if args.dir.exists()
        && fs::read_dir(&args.dir)
            .with_context(|| format!("cannot read {}", args.dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} exists and is not empty; give a new or empty directory",
            args.dir.display()
        );
    }
    let user_id = format!(
        "cp247 node {} {} ({})",
        args.party,
        args.contact_point.as_str(),
        args.name
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
    );
    let key = NodeKey::generate(&user_id, now, None).context("generating the node key")?;
    let locked = key.to_locked_armored(&pass)?;
    // Relative paths in the file (the database among them) resolve against the node
    // directory, whatever the working directory of a later command.
    let mut config = ConfigFile::new_node(args.party, args.contact_point, args.name, args.listen);
    config.endpoint = args.endpoint;
    config.directory_source = args.directory_source;
    let toml = config.to_toml()?;
    let cert_text = key.cert().armored();
    let authority_text = authority.armored();
    // The key that seals TOTP seeds at rest: apart from the database and the passphrase.
    let secrets = cp247_server::secrets::SecretsKey::generate();
    let secrets_text = secrets.file_text();
    create_dir_with(
        &args.dir,
        &[
            (NODE_KEY_FILE, locked.as_bytes(), 0o600),
            (
                cp247_server::secrets::SECRETS_KEY_FILE,
                secrets_text.as_bytes(),
                0o600,
            ),
            (NODE_CERT_FILE, cert_text.as_bytes(), 0o644),
            (AUTHORITY_CERT_FILE, authority_text.as_bytes(), 0o644),
            (CONFIG_FILE_NAME, toml.as_bytes(), 0o644),
        ],
        &[],
    )?;
    println!("node directory: {}", args.dir.display());
    println!("party:          {}", config.party);
    println!("node key:       {}", key.fingerprint());
    println!("authority:      {} (pinned)", authority.fingerprint());
    println!(
        "Send node-cert.asc to the directory authority; then run 'cp247 directory update --dir {}' once it publishes a directory listing this node.",
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `cp247 key …`
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    command: KeyCommand,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Print the node's public certificate (armored).
    Export {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
    },
}

/// `cp247 key export`: prints the certificate. Exit 0, or 1 with the reason.
pub fn run_key(args: KeyArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        KeyCommand::Export { dir } => {
            let node = Node::load(&dir)?;
            let path = node.files.node_cert();
            let text = read_text(&path, MAX_SMALL_FILE).with_context(|| {
                format!("the node certificate {} cannot be read", path.display())
            })?;
            let cert = Cert::from_armored(&text)
                .with_context(|| format!("{} is not a certificate", path.display()))?;
            print!("{}", cert.armored());
            Ok(ExitCode::SUCCESS)
        }
    }
}
