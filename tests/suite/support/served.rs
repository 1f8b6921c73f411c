//! A `verdicts serve` child process whose command the test sets up itself, with the base URL it logs; killed when
//! dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Served {
    pub child: Child,
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Spawns `command` (`verdicts serve` with its settings, listening on port 0) with its log captured, and waits
    /// until it says where it listens; the rest of the log is read and dropped so the process never blocks on it.
    pub fn start(command: &mut Command) -> Served {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let base = loop {
            let line = lines.next().expect("serve logs its address").unwrap();
            if let Some(rest) = line.split("serving the subscribe page on ").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Served { child, base }
    }
}
