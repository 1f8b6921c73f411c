//! A private Postfix 3.7 for one test: its own `config_directory` in a temporary folder (`postfix -c DIR start`;
//! `/etc/postfix` is never touched), its own queue and data directories, loopback only, four listeners on free
//! ports, virtual delivery of every `@example.org` address into one Maildir, a recipient-access map for
//! rejects and deferrals, and a log file; optionally README's bounce wiring, a `pipe` into `verdicts bounces
//! ingest` ([`bounce_pipe`]). Stopped when dropped, also when the test fails.
//!
//! One instance per test rather than one shared: each test then reads its own log (the `disconnect … ehlo=N`
//! counts) and its own Maildir, and writes its own access map. Starting one takes about two seconds.
//!
//! The listeners:
//! - `plain`: no TLS offered.
//! - `idle`: closes a client idle for [`IDLE_TIMEOUT`] (`smtpd_timeout`), no TLS.
//! - `tls`: offers STARTTLS with a leaf certificate signed by the test CA ([`Postfix::ca_file`]).
//! - `untrusted`: offers STARTTLS with a self-signed CA certificate that nothing trusts.
//!
//! Needs root (Postfix's master runs as root) and the Debian package `postfix`; [`Postfix::start`] returns
//! `None`, after saying why, when either is missing.

pub mod bounce_pipe;
mod certs;
mod config;
pub mod maildir;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use maildir::Delivered;

/// The `idle` listener's `smtpd_timeout`, in seconds.
pub const IDLE_TIMEOUT: u64 = 5;

const POSTFIX: &str = "/usr/sbin/postfix";

pub struct Postfix {
    dir: tempfile::TempDir,
    pub plain: u16,
    pub idle: u16,
    pub tls: u16,
    pub untrusted: u16,
}

impl Postfix {
    /// Starts an instance whose recipient-access map holds `access` (`("r7@example.org", "550 5.1.1 no such
    /// user")`). `None` when Postfix cannot run here; the reason is printed so a skipped test says so.
    pub fn start(access: &[(&str, &str)]) -> Option<Postfix> {
        Postfix::start_with(access, None)
    }

    /// Starts an instance that also routes README's bounce domain (`news.example.org`) into `verdicts bounces
    /// ingest`, wired as the README says ([`bounce_pipe`]); `home` is its `/srv/verdicts`.
    pub fn start_with_bounce_pipe(home: &Path) -> Option<Postfix> {
        Postfix::start_with(&[], Some(home))
    }

    fn start_with(access: &[(&str, &str)], bounce_pipe_home: Option<&Path>) -> Option<Postfix> {
        if !Path::new(POSTFIX).exists() {
            skip(
                "Postfix is not installed (Debian: debconf postfix/main_mailer_type = \"No configuration\", \
                 then apt-get install postfix; scripts/test does this)",
            );
            return None;
        }
        if !is_root() {
            skip("Postfix's master process must be started as root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        // The virtual agent runs as MAILDIR_UID and must reach mail/ inside.
        set_mode(dir.path(), 0o755);
        certs::make(dir.path());
        let [plain, idle, tls, untrusted] = free_ports();
        let postfix = Postfix {
            dir,
            plain,
            idle,
            tls,
            untrusted,
        };
        config::write(postfix.root(), postfix.ports(), access);
        if let Some(home) = bounce_pipe_home {
            bounce_pipe::write(&postfix.conf(), home);
        }
        let output = Command::new(POSTFIX)
            .arg("-c")
            .arg(postfix.conf())
            .arg("start")
            .output()
            .expect("postfix runs");
        assert!(
            output.status.success(),
            "postfix start failed ({}): {}{}\nlog:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            postfix.log()
        );
        postfix.wait_until_listening();
        Some(postfix)
    }

    fn ports(&self) -> config::Ports {
        config::Ports {
            plain: self.plain,
            idle: self.idle,
            tls: self.tls,
            untrusted: self.untrusted,
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn conf(&self) -> PathBuf {
        self.root().join("conf")
    }

    /// The Maildir every message goes to.
    pub fn maildir(&self) -> PathBuf {
        self.root().join("mail/readers")
    }

    /// PEM of the CA that signed the `tls` listener's certificate.
    pub fn ca_file(&self) -> PathBuf {
        self.root().join("ca.pem")
    }

    /// PEM of the `untrusted` listener's self-signed certificate.
    pub fn rogue_file(&self) -> PathBuf {
        self.root().join("rogue.pem")
    }

    /// `smtp://127.0.0.1:PORT` (STARTTLS when offered).
    pub fn url(&self, port: u16) -> String {
        format!("smtp://127.0.0.1:{port}")
    }

    /// Postfix's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root().join("maillog")).unwrap_or_default()
    }

    /// The `disconnect from …` lines of the SMTP server: what each client sent (`ehlo=1 mail=3 … quit=1`). The
    /// harness's own probes while Postfix started (`commands=0/0`) are left out.
    pub fn disconnects(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| line.contains("postfix/smtpd[") && line.contains(": disconnect from "))
            .filter(|line| !line.contains(" commands=0/0"))
            .map(|line| {
                line.split(": disconnect from ")
                    .nth(1)
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    /// Waits up to a minute for at least `n` delivered messages, then returns all of them.
    pub fn delivered(&self, n: usize) -> Vec<Delivered> {
        maildir::wait_for(&self.maildir(), n, Duration::from_secs(60))
    }

    /// Waits until every connection the server saw has been logged as closed (Postfix logs `disconnect` after the
    /// client's QUIT or when it gives up on an idle client), up to `patience`.
    pub fn wait_for_disconnects(&self, patience: Duration) {
        let deadline = Instant::now() + patience;
        loop {
            let log = self.log();
            let connects = log.matches(": connect from ").count();
            let disconnects = log.matches(": disconnect from ").count();
            if connects == disconnects || Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls the four listeners until they accept (the master binds them just after `postfix start` returns).
    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in [self.plain, self.idle, self.tls, self.untrusted] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "Postfix does not listen on {port}; log:\n{}",
                    self.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let stopped = Command::new(POSTFIX)
            .arg("-c")
            .arg(self.conf())
            .arg("stop")
            .output();
        if !matches!(stopped, Ok(ref output) if output.status.success()) {
            // Make sure no master outlives the test and keeps its ports.
            if let Ok(pid) = std::fs::read_to_string(self.root().join("queue/pid/master.pid")) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
        if std::thread::panicking() {
            eprintln!("Postfix log:\n{}", self.log());
        }
    }
}

/// Four ports the kernel had free, released together just before Postfix binds them.
fn free_ports() -> [u16; 4] {
    let listeners: Vec<TcpListener> = (0..4)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    [ports[0], ports[1], ports[2], ports[3]]
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Says why a Postfix test does not run; under `POSTFIX_TESTS_REQUIRED` (set by CI, which installs Postfix;
/// not a `VERDICTS_*` name, as the program refuses unknown settings of that prefix)
/// a skip is a failure, so the interop suite cannot silently stop running.
fn skip(why: &str) {
    assert!(
        std::env::var_os("POSTFIX_TESTS_REQUIRED").is_none(),
        "POSTFIX_TESTS_REQUIRED is set, but {why}"
    );
    eprintln!("SKIPPED: {why}");
}
