//! `cp247 init` and `cp247 key export`: a node's directory, configuration and OpenPGP key; and
//! the helpers the trust commands share (configuration, passphrase, clock, bounded file IO).
//!
//! A node directory holds:
//!
//! | file | what |
//! |---|---|
//! | `cp247.toml` | the configuration ([`NodeConfig`]) |
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
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The configuration file's name in a node directory.
pub const CONFIG_FILE: &str = "cp247.toml";
/// The environment variable that may hold the passphrase.
pub const PASSPHRASE_ENV: &str = "CP247_PASSPHRASE";
/// The largest key, certificate or configuration file read, in bytes.
const MAX_SMALL_FILE: u64 = 1024 * 1024;

/// A node's configuration (`cp247.toml`). Paths are relative to the node directory unless
/// absolute. The node issue extends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's Party.
    pub party: PartyCode,
    /// Which of the Party's contact points the node serves.
    #[serde(default = "primary")]
    pub contact_point: ContactPointRole,
    /// The node's name (for people).
    pub name: String,
    /// The address the node listens on.
    pub listen: String,
    /// The public HTTPS endpoint peers reach the node at, as listed in the directory.
    pub endpoint: Option<String>,
    /// The database URL.
    pub database_url: String,
    /// The locked secret key.
    pub node_key: PathBuf,
    /// The public certificate.
    pub node_cert: PathBuf,
    /// The pinned directory-authority certificate. Without it the node accepts no directory.
    pub authority_cert: PathBuf,
    /// The last accepted directory (its signature is the same path with `.asc` added).
    pub directory: PathBuf,
    /// Where fresh directories come from: a path (a URL is fetched by the node's sync).
    pub directory_source: Option<String>,
    /// Days a node keeps working after the directory expired, with a loud warning.
    pub directory_grace_days: u32,
}

fn primary() -> ContactPointRole {
    ContactPointRole::Primary
}

/// A loaded node directory.
#[derive(Debug)]
pub struct Node {
    /// Its directory.
    pub dir: PathBuf,
    /// Its configuration.
    pub config: NodeConfig,
}

impl Node {
    /// Reads `DIR/cp247.toml`.
    pub fn load(dir: &Path) -> anyhow::Result<Node> {
        let path = dir.join(CONFIG_FILE);
        let text = read_text(&path, MAX_SMALL_FILE).with_context(|| {
            format!(
                "{} is not a node directory (run 'cp247 init')",
                dir.display()
            )
        })?;
        let config: NodeConfig = toml::from_str(&text)
            .with_context(|| format!("the configuration {} is not valid", path.display()))?;
        Ok(Node {
            dir: dir.to_owned(),
            config,
        })
    }

    /// A configured path, resolved against the node directory.
    pub fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.dir.join(p)
        }
    }

    /// The contact point this node speaks for.
    pub fn address(&self) -> Address {
        Address {
            party: self.config.party,
            point: self.config.contact_point,
        }
    }

    /// The pinned authority. A missing or unreadable certificate is an error: the node never
    /// runs without its trust anchor.
    pub fn anchor(&self) -> anyhow::Result<PinnedAuthority> {
        let path = self.path(&self.config.authority_cert);
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
            grace: SignedDuration::from_hours(i64::from(self.config.directory_grace_days) * 24),
            ..AcceptancePolicy::default()
        }
    }

    /// The node's directory state: the last accepted directory, checked again against the
    /// pinned authority; no directory yet is an empty state (which refuses all traffic).
    pub fn directory_state(&self, now: Timestamp) -> anyhow::Result<DirectoryState> {
        let anchor = self.anchor()?;
        let path = self.path(&self.config.directory);
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
        let path = self.path(&self.config.node_key);
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
    if args.dir.join(CONFIG_FILE).exists() {
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
    let db = args.dir.join("cp247.db");
    let config = NodeConfig {
        party: args.party,
        contact_point: args.contact_point,
        name: args.name,
        listen: args.listen,
        endpoint: args.endpoint,
        database_url: format!("sqlite://{}", db.display()),
        node_key: "node-key.asc".into(),
        node_cert: "node-cert.asc".into(),
        authority_cert: "authority-cert.asc".into(),
        directory: "directory.json".into(),
        directory_source: args.directory_source,
        directory_grace_days: 7,
    };
    let toml = toml::to_string(&config).context("writing the configuration")?;
    let cert_text = key.cert().armored();
    let authority_text = authority.armored();
    // The key that seals TOTP seeds at rest: apart from the database and the passphrase.
    let secrets = cp247_server::secrets::SecretsKey::generate();
    let secrets_text = secrets.file_text();
    create_dir_with(
        &args.dir,
        &[
            ("node-key.asc", locked.as_bytes(), 0o600),
            (
                cp247_server::secrets::SECRETS_KEY_FILE,
                secrets_text.as_bytes(),
                0o600,
            ),
            ("node-cert.asc", cert_text.as_bytes(), 0o644),
            ("authority-cert.asc", authority_text.as_bytes(), 0o644),
            (CONFIG_FILE, toml.as_bytes(), 0o644),
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
            let path = node.path(&node.config.node_cert);
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
