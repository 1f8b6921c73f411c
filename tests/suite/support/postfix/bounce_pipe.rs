//! The bounce domain piped into `verdicts bounces ingest`, wired exactly as README "Bounces and complaints" tells
//! an operator: its four Postfix snippets (the `main.cf` lines, the `virtual` and `transport` maps, the `master.cf`
//! service) are read from README.md and used as written, `postmap`ped like an operator would. Only the
//! machine-specific parts are put in: `/etc/postfix/` becomes the instance's config folder,
//! `/usr/local/bin/verdicts` the binary under test, `/srv/verdicts` the test's store folder, and `user=verdicts`
//! `user=nobody`. A README whose wiring does not work therefore fails the tests that use this.
//!
//! Also what those tests need to talk to the instance as a remote MTA would: [`Postfix::inject`] (a message over
//! SMTP to the plain listener), the queue listing and a flush.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::Postfix;

/// The unprivileged account the pipe runs as (Postfix refuses root and its own mail_owner).
pub const PIPE_USER: &str = "nobody";
const PIPE_UID: u32 = 65534;

/// The README's Postfix snippets, in the order it gives them.
struct Snippets {
    main_cf: String,
    virtual_map: String,
    transport_map: String,
    master_cf: String,
}

/// Adds the README's wiring to the instance's `conf/`: `home` is the folder the README calls `/srv/verdicts`.
pub(super) fn write(conf: &Path, home: &Path) {
    let put_in = |snippet: &str| {
        snippet
            .replace("/etc/postfix/", &format!("{}/", conf.display()))
            .replace("/usr/local/bin/verdicts", env!("CARGO_BIN_EXE_verdicts"))
            .replace("/srv/verdicts", &home.display().to_string())
            .replace("user=verdicts", &format!("user={PIPE_USER}"))
    };
    let snippets = readme_snippets();
    append(&conf.join("main.cf"), &put_in(&snippets.main_cf));
    append(&conf.join("master.cf"), &put_in(&snippets.master_cf));
    for (name, map) in [
        ("virtual", &snippets.virtual_map),
        ("transport", &snippets.transport_map),
    ] {
        let path = conf.join(name);
        std::fs::write(&path, put_in(map)).unwrap();
        let output = Command::new("/usr/sbin/postmap")
            .arg("-c")
            .arg(conf)
            .arg(&path)
            .output()
            .expect("postmap runs");
        assert!(
            output.status.success(),
            "postmap {name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Gives `dir` and everything in it to [`PIPE_USER`], as the README's "runs as the user that owns the store" says.
pub fn hand_to_pipe_user(dir: &Path) {
    std::os::unix::fs::chown(dir, Some(PIPE_UID), Some(PIPE_UID)).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            hand_to_pipe_user(&path);
        } else {
            std::os::unix::fs::chown(&path, Some(PIPE_UID), Some(PIPE_UID)).unwrap();
        }
    }
}

/// The fenced blocks of README's "Bounces and complaints" before the Exim part: main.cf, virtual, transport,
/// master.cf.
fn readme_snippets() -> Snippets {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("\n## Bounces and complaints\n")
        .nth(1)
        .expect("README has a \"Bounces and complaints\" section");
    let postfix_part = section.split("\nExim ").next().unwrap_or_default();
    let blocks: Vec<String> = postfix_part
        .split("\n```")
        .skip(1)
        .step_by(2)
        .map(|block| {
            block
                .split_once('\n')
                .map(|(_, body)| body)
                .unwrap_or_default()
        })
        .map(|body| format!("{}\n", body.trim_end()))
        .collect();
    let [main_cf, virtual_map, transport_map, master_cf] = <[String; 4]>::try_from(blocks.clone())
        .unwrap_or_else(|_| {
            panic!("README's Postfix wiring should be four blocks (main.cf, virtual, transport, master.cf): {blocks:?}")
        });
    assert!(
        main_cf.contains("transport_maps"),
        "main.cf block: {main_cf}"
    );
    assert!(master_cf.contains(" pipe"), "master.cf block: {master_cf}");
    Snippets {
        main_cf,
        virtual_map,
        transport_map,
        master_cf,
    }
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    writeln!(file, "\n# From README \"Bounces and complaints\":\n{text}").unwrap();
}

impl Postfix {
    /// Sends `message` over SMTP to the plain listener, as a remote MTA returning a bounce would: `MAIL FROM:<from>`
    /// (empty for a bounce), `RCPT TO:<to>`. Panics unless Postfix accepts it (250 after the data).
    pub fn inject(&self, from: &str, to: &str, message: &[u8]) {
        self.inject_to_all(from, &[to], message);
    }

    /// [`Postfix::inject`] with one `RCPT TO` per address of `to`, in one transaction.
    pub fn inject_to_all(&self, from: &str, to: &[&str], message: &[u8]) {
        let stream = TcpStream::connect(("127.0.0.1", self.plain)).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut expect = |code: &str, what: &str| {
            let mut line = String::new();
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                // A multi-line reply goes on while the fourth character is '-'.
                if line.as_bytes().get(3) != Some(&b'-') {
                    break;
                }
            }
            assert!(line.starts_with(code), "{what}: Postfix said {line:?}");
        };
        expect("220", "greeting");
        let mut commands = vec![
            ("EHLO mx.remote.example".to_string(), "250"),
            (format!("MAIL FROM:<{from}>"), "250"),
        ];
        commands.extend(to.iter().map(|to| (format!("RCPT TO:<{to}>"), "250")));
        commands.push(("DATA".to_string(), "354"));
        for (command, code) in commands {
            write!(writer, "{command}\r\n").unwrap();
            expect(code, &command);
        }
        // CRLF line ends and dot-stuffing (RFC 5321 4.5.2), then the end-of-data dot.
        let text = String::from_utf8_lossy(message).replace("\r\n", "\n");
        let mut data = String::new();
        for line in text.lines() {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(line);
            data.push_str("\r\n");
        }
        data.push_str(".\r\nQUIT\r\n");
        writer.write_all(data.as_bytes()).unwrap();
        expect("250", "end of data");
    }

    /// `postqueue -p`: what is still queued, with the reason of each deferral.
    pub fn queue(&self) -> String {
        self.postqueue("-p")
    }

    /// `postqueue -f`: tries every queued message now.
    pub fn flush(&self) {
        self.postqueue("-f");
    }

    fn postqueue(&self, flag: &str) -> String {
        let output = Command::new("/usr/sbin/postqueue")
            .arg("-c")
            .arg(self.conf())
            .arg(flag)
            .output()
            .expect("postqueue runs");
        assert!(
            output.status.success(),
            "postqueue {flag}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The log lines of the pipe service's deliveries (`relay=verdicts, … status=sent|deferred|bounced`).
    pub fn pipe_deliveries(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| line.contains("postfix/pipe[") && line.contains(" relay=verdicts,"))
            .map(str::to_string)
            .collect()
    }

    /// Waits up to `patience` until `done` says so; false when it never did.
    pub fn wait_until(&self, patience: Duration, mut done: impl FnMut(&Postfix) -> bool) -> bool {
        let deadline = Instant::now() + patience;
        while !done(self) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        true
    }
}
