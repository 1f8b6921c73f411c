//! The independent checkers the email is held to (SpamAssassin, the Nu HTML checker, Chromium),
//! found on this machine or failed with the step that installs them: never skipped silently.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `program` from PATH, or a failure naming how to install it.
pub fn require(programs: &[&str], install: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for program in programs {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(program);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "{} is not installed (not on PATH): install it with `{install}`, or run ./scripts/test, \
         which installs every checker the tests need",
        programs[0]
    );
}

/// Runs `command` (stdin as the caller set it); kills it (by its handle) if it takes longer than
/// `limit`. Output that helper processes still hold open after the command ends is not awaited.
pub fn run_with_timeout(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {command:?}: {e}"));
    let collect = |mut pipe: Box<dyn Read + Send>| {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = sender.send(buf);
        });
        receiver
    };
    let stdout = collect(Box::new(child.stdout.take().unwrap()));
    let stderr = collect(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let grace = Duration::from_secs(10);
    Output {
        status,
        stdout: stdout.recv_timeout(grace).unwrap_or_default(),
        stderr: stderr.recv_timeout(grace).unwrap_or_default(),
    }
}

/// What SpamAssassin thought of a message.
#[derive(Debug)]
pub struct SpamVerdict {
    pub score: f64,
    /// The rule names that fired, as listed in X-Spam-Status.
    pub tests: String,
    /// The whole report, for failure messages.
    pub report: String,
}

/// `spamassassin -L -t` (local tests only, report mode) with a throw-away HOME.
pub fn spamassassin(eml: &Path) -> SpamVerdict {
    let program = require(
        &["spamassassin"],
        "apt-get install -y --no-install-recommends spamassassin",
    );
    let home = tempfile::tempdir().unwrap();
    let output = run_with_timeout(
        Command::new(program)
            .args(["-L", "-t"])
            .env("HOME", home.path())
            .stdin(std::fs::File::open(eml).unwrap()),
        Duration::from_secs(120),
    );
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    // The report's own header lines end in LF: unfold X-Spam-Status by hand.
    let mut status = String::new();
    let mut lines = report
        .lines()
        .skip_while(|l| !l.starts_with("X-Spam-Status:"));
    if let Some(first) = lines.next() {
        status.push_str(first);
        for line in lines.take_while(|l| l.starts_with([' ', '\t'])) {
            status.push_str(line);
        }
    }
    assert!(!status.is_empty(), "no X-Spam-Status in:\n{report}");
    let field = |name: &str| {
        status
            .split([' ', '\t', ','])
            .find_map(|word| word.strip_prefix(name))
            .map(str::to_string)
    };
    let score = field("score=")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no score in X-Spam-Status: {status}"));
    let tests: String = status
        .split_once("tests=")
        .map(|(_, rest)| rest.split("autolearn=").next().unwrap())
        .unwrap_or("")
        .split_whitespace()
        .collect();
    SpamVerdict {
        score,
        tests,
        report,
    }
}

/// One finding of the Nu HTML checker.
#[derive(Debug, Clone)]
pub struct Finding {
    /// `error`, `info warning`, `info`.
    pub kind: String,
    pub message: String,
    /// `line.column-line.column`.
    pub location: String,
}

/// The Nu HTML checker on one file: every finding, unfiltered.
pub fn nu_html_checker(html: &Path) -> Vec<Finding> {
    let java = require(
        &["java"],
        "apt-get install -y --no-install-recommends default-jre-headless",
    );
    let jar = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/vnu-jar/build/dist/vnu.jar");
    assert!(
        jar.is_file(),
        "the Nu HTML checker is not installed ({} is missing): run `npm install --no-save vnu-jar` \
         in the repository root, or ./scripts/test",
        jar.display()
    );
    let output = run_with_timeout(
        Command::new(java)
            .arg("-jar")
            .arg(&jar)
            .args(["--format", "gnu", "--verbose"])
            .arg(html),
        Duration::from_secs(120),
    );
    let text = String::from_utf8_lossy(&output.stderr);
    let findings: Vec<Finding> = text
        .lines()
        .filter_map(|line| {
            // "file:/path/digest.html":2.10-2.20: error: message
            let (_, rest) = line.rsplit_once("\":")?;
            let (location, rest) = rest.split_once(": ")?;
            let (kind, message) = rest.split_once(": ")?;
            Some(Finding {
                kind: kind.to_string(),
                message: message.to_string(),
                location: location.to_string(),
            })
        })
        .collect();
    let code = output.status.code();
    assert!(
        code == Some(0) || !findings.is_empty(),
        "the Nu HTML checker failed without findings ({code:?}):\n{text}"
    );
    findings
}

/// Chromium, for screenshots and layout checks.
pub fn chromium() -> PathBuf {
    require(
        &["chromium", "chromium-browser", "google-chrome"],
        "apt-get install -y --no-install-recommends chromium",
    )
}

/// Headless Chromium with a fresh profile and nothing talking to the network on its own.
pub fn chromium_command(profile: &Path) -> Command {
    let mut command = Command::new(chromium());
    command
        .stdin(Stdio::null())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
    command
}
