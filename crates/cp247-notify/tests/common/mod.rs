//! Test support: the loopback Postfix and its Maildir, a throw-away GnuPG home, node keys.
#![allow(dead_code)] // each test binary uses part of it

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use cp247_domain::{Clock as _, SystemClock};
use cp247_seal::NodeKey;

pub fn ci() -> bool {
    #[allow(clippy::disallowed_methods)] // the CI switch of the test harness
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    ci
}

fn var(name: &str) -> Option<String> {
    #[allow(clippy::disallowed_methods)] // test prerequisites come from the environment
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The loopback SMTP server and its Maildir, from `CP247_TEST_SMTP` and `CP247_TEST_MAILDIR`
/// (exported by scripts/test.sh after scripts/postfix-local.sh). Under `CI=true` an unset
/// variable or an unreachable server fails the test; otherwise the test is skipped loudly.
pub fn postfix() -> Option<(String, u16, PathBuf)> {
    let (Some(smtp), Some(maildir)) = (var("CP247_TEST_SMTP"), var("CP247_TEST_MAILDIR")) else {
        assert!(
            !ci(),
            "CP247_TEST_SMTP and CP247_TEST_MAILDIR must be set under CI=true (run scripts/postfix-local.sh)"
        );
        eprintln!(
            "SKIPPED: CP247_TEST_SMTP / CP247_TEST_MAILDIR not set (bash scripts/postfix-local.sh)"
        );
        return None;
    };
    let (host, port) = smtp.rsplit_once(':').expect("CP247_TEST_SMTP is HOST:PORT");
    let port: u16 = port.parse().expect("CP247_TEST_SMTP port");
    let reachable = std::net::TcpStream::connect_timeout(
        &format!("{host}:{port}")
            .parse()
            .expect("CP247_TEST_SMTP is an IP:PORT"),
        Duration::from_secs(5),
    )
    .is_ok();
    assert!(reachable, "the SMTP server {smtp} is not reachable");
    Some((host.to_owned(), port, PathBuf::from(maildir)))
}

/// The names of the files in the Maildir now (new/ and cur/).
pub fn maildir_snapshot(maildir: &Path) -> HashSet<PathBuf> {
    let mut out = HashSet::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(maildir.join(sub)) {
            for e in entries.flatten() {
                out.insert(e.path());
            }
        }
    }
    out
}

/// Waits (at most 60 s) for a mail not in `before` whose headers contain `needle`; returns its
/// bytes.
pub fn wait_for_mail(maildir: &Path, before: &HashSet<PathBuf>, needle: &str) -> Vec<u8> {
    let found = find_mail(maildir, before, needle, Duration::from_secs(60));
    found.unwrap_or_else(|| {
        panic!(
            "no mail with {needle} arrived in {} within 60 s",
            maildir.display()
        )
    })
}

/// All mails not in `before` whose text contains `needle`, after waiting `settle`.
pub fn mails_with(maildir: &Path, before: &HashSet<PathBuf>, needle: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for path in maildir_snapshot(maildir) {
        if before.contains(&path) {
            continue;
        }
        if let Ok(bytes) = std::fs::read(&path)
            && String::from_utf8_lossy(&bytes).contains(needle)
        {
            out.push(bytes);
        }
    }
    out
}

pub fn find_mail(
    maildir: &Path,
    before: &HashSet<PathBuf>,
    needle: &str,
    within: Duration,
) -> Option<Vec<u8>> {
    let rounds = within.as_millis() / 100;
    for _ in 0..rounds {
        if let Some(m) = mails_with(maildir, before, needle).into_iter().next() {
            return Some(m);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

pub fn system_now() -> jiff::Timestamp {
    SystemClock.now()
}

pub fn clock() -> Arc<dyn cp247_domain::Clock> {
    Arc::new(SystemClock)
}

/// A node key dated a minute ago (GnuPG checks signatures against the wall clock).
pub fn node_key(name: &str) -> Arc<NodeKey> {
    let created = system_now() - jiff::SignedDuration::from_mins(1);
    Arc::new(
        NodeKey::generate(
            &format!("{name} node <{name}@cp247.invalid>"),
            created,
            None,
        )
        .unwrap(),
    )
}

/// Whether gpg runs; under `CI=true` its absence fails the test.
pub fn require_gpg() -> bool {
    let found = Command::new("gpg")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found || !ci(),
        "gpg is not installed: under CI=true it must be (apt-get install gnupg)"
    );
    if !found {
        eprintln!("SKIPPED: gpg is not installed");
    }
    found
}

/// A throw-away GnuPG home (mode 700); the agent is killed on drop.
pub struct Gpg {
    pub dir: tempfile::TempDir,
}

impl Gpg {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        Self { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn run(&self, args: &[&str], check: bool) -> Output {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(self.dir.path())
            .args([
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        if check {
            assert!(
                out.status.success(),
                "gpg {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }

    /// A key in cp247's shape; returns (fingerprint, armored certificate).
    pub fn officer(&self, uid: &str) -> (String, String) {
        self.run(&["--quick-gen-key", uid, "ed25519", "cert", "never"], true);
        let out = self.run(&["--with-colons", "--list-keys", uid], true);
        let fpr = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:::::::::"))
            .map(|f| f.trim_end_matches(':').to_owned())
            .unwrap();
        self.run(&["--quick-add-key", &fpr, "ed25519", "sign", "never"], true);
        self.run(&["--quick-add-key", &fpr, "cv25519", "encr", "never"], true);
        let out = self.run(&["--armor", "--export", &fpr], true);
        (fpr, String::from_utf8(out.stdout).unwrap())
    }

    pub fn import(&self, armored: &str) {
        let file = self.path(&format!("import-{}.asc", armored.len()));
        std::fs::write(&file, armored).unwrap();
        self.run(&["--import", file.to_str().unwrap()], true);
    }

    /// Decrypts `armored`; returns (plaintext, status lines).
    pub fn decrypt(&self, armored: &[u8]) -> (Vec<u8>, String) {
        let n = armored.len();
        let input = self.path(&format!("in-{n}.asc"));
        let output = self.path(&format!("out-{n}"));
        let status = self.path(&format!("status-{n}"));
        std::fs::write(&input, armored).unwrap();
        self.run(
            &[
                "--trust-model",
                "always",
                "--status-file",
                status.to_str().unwrap(),
                "--output",
                output.to_str().unwrap(),
                "--decrypt",
                input.to_str().unwrap(),
            ],
            true,
        );
        (
            std::fs::read(output).unwrap(),
            std::fs::read_to_string(status).unwrap(),
        )
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.dir.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

/// Asserts that GnuPG decrypted, found the MDC and a good signature by `signer`.
pub fn assert_good_signature(status: &str, signer: &str) {
    for token in ["DECRYPTION_OKAY", "GOODMDC", "GOODSIG", "VALIDSIG"] {
        assert!(
            status.contains(&format!("[GNUPG:] {token}")),
            "{token}:\n{status}"
        );
    }
    assert!(!status.contains("BADSIG"), "{status}");
    let validsig = status.lines().find(|l| l.contains("VALIDSIG")).unwrap();
    assert!(validsig.ends_with(signer), "{validsig} is not by {signer}");
}
