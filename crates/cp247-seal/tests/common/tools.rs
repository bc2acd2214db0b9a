//! Running the independent OpenPGP implementations (GnuPG, sqop) in throw-away directories.
#![allow(dead_code)] // each interop binary uses one of the tools

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cp247_domain::Clock as _;

/// The current instant (interop tools sign with the wall clock).
pub fn system_now() -> jiff::Timestamp {
    cp247_domain::SystemClock.now()
}

/// Whether `tool` runs. Under `CI=true` a missing tool fails the test; otherwise the test says
/// loudly that it is skipped.
pub fn require(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        || Command::new(tool)
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    #[allow(clippy::disallowed_methods)] // the CI switch of the test harness, not configuration
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !found {
        assert!(
            !ci,
            "{tool} is not installed: under CI=true the interop tests must run (apt-get install {})",
            if tool == "gpg" { "gnupg" } else { tool }
        );
        eprintln!(
            "SKIPPED: {tool} is not installed; interop test not run (it fails under CI=true)"
        );
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
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Self { dir }
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs gpg with `--batch --yes` in this home; panics with stderr on failure if `check`.
    pub fn run(&self, args: &[&str], check: bool) -> Output {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(self.home())
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

    /// A key in cp247's shape: Ed25519 certify-only primary, Ed25519 signing subkey, Cv25519
    /// encryption subkey. Returns the primary fingerprint.
    pub fn gen_cp247_shape(&self, uid: &str) -> String {
        self.run(&["--quick-gen-key", uid, "ed25519", "cert", "never"], true);
        let fpr = self.fingerprint(uid);
        self.run(&["--quick-add-key", &fpr, "ed25519", "sign", "never"], true);
        self.run(&["--quick-add-key", &fpr, "cv25519", "encr", "never"], true);
        fpr
    }

    pub fn fingerprint(&self, uid: &str) -> String {
        let out = self.run(&["--with-colons", "--list-keys", uid], true);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:::::::::"))
            .map(|f| f.trim_end_matches(':').to_owned())
            .unwrap()
    }

    pub fn export(&self, fpr: &str) -> String {
        let out = self.run(&["--armor", "--export", fpr], true);
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn import(&self, armored: &str) {
        let file = self.path(&format!("import-{}.asc", armored.len()));
        std::fs::write(&file, armored).unwrap();
        self.run(&["--import", file.to_str().unwrap()], true);
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

/// Runs sqop with `args`, feeding `stdin`; returns stdout, panicking with stderr on failure.
pub fn sqop(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("sqop")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sqop {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
