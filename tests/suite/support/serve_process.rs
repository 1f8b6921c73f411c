//! `verdicts serve` as a child process on 127.0.0.1 port 0 (its log captured, its address read from the log),
//! optionally under `prlimit` for a small open-file limit, plus raw keep-alive HTTP over std sockets, so the
//! tests can hold connections open, trickle headers and see the server close them.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct ServeProcess {
    pub child: Child,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServeProcess {
    /// Starts `verdicts serve --no-schedule` in a fresh folder with `env` added (`VERDICTS_*` settings), under
    /// `prlimit --nofile=N:N` when `open_files` is given.
    pub fn start(env: &[(&str, &str)], open_files: Option<u64>) -> ServeProcess {
        let dir = tempfile::tempdir().unwrap();
        let verdicts = env!("CARGO_BIN_EXE_verdicts");
        let mut command = match open_files {
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}")).arg(verdicts);
                c
            }
            None => Command::new(verdicts),
        };
        command
            .args(["serve", "--no-schedule"])
            .current_dir(dir.path())
            .env_remove("VERDICTS_CONFIG")
            .env_remove("VERDICTS_SMTP_URL")
            .env("VERDICTS_LISTEN", "127.0.0.1:0")
            .env(
                "VERDICTS_DATABASE",
                dir.path().join("data").join("verdicts.db"),
            )
            .env("VERDICTS_OUTBOX_DIR", dir.path().join("outbox"))
            .env("VERDICTS_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving the subscribe page on http://").nth(1) {
                    let addr = rest.split('/').next().unwrap().to_owned();
                    let _ = address_tx.send(addr);
                }
                lines.lock().unwrap().push(line);
            }
        });
        let addr = match address_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr.parse().unwrap(),
            Err(_) => panic!("no address logged:\n{}", log.lock().unwrap().join("\n")),
        };
        ServeProcess {
            child,
            addr,
            dir,
            log,
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn database(&self) -> PathBuf {
        self.dir.path().join("data").join("verdicts.db")
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Lowers (or raises) the running server's open-file limit.
    pub fn set_open_files(&self, soft: u64, hard: u64) {
        let status = Command::new("prlimit")
            .arg(format!("--pid={}", self.child.id()))
            .arg(format!("--nofile={soft}:{hard}"))
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// A keep-alive HTTP/1.1 connection over a plain socket (reads give up after 30 s so a test cannot hang).
pub struct Conn {
    pub stream: TcpStream,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Conn { stream }
    }

    /// `GET path` on this connection; the status code, or `None` when the server closed the connection.
    pub fn get(&mut self, path: &str) -> Option<u16> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
        self.stream.write_all(request.as_bytes()).ok()?;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match self.stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => return None,
            }
        }
        let head = String::from_utf8_lossy(&head).to_string();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().unwrap())
            })
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).ok()?;
        head.split_whitespace().nth(1)?.parse().ok()
    }

    /// Reads until the server closes the connection: what it sent first (possibly nothing), or `None` when the
    /// 30 s read timeout passed with the connection still open.
    pub fn read_until_closed(&mut self) -> Option<String> {
        let mut received = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return Some(String::from_utf8_lossy(&received).to_string()),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                    return Some(String::from_utf8_lossy(&received).to_string());
                }
                Err(_) => return None,
            }
        }
    }
}

/// Asks `/healthz` on fresh connections until one answers (at most `attempts`, 100 ms apart), for after a
/// burst of refused connections has cleared; the last status seen, `None` if none answered.
pub fn healthz_on_a_fresh_connection(addr: SocketAddr, attempts: usize) -> Option<u16> {
    let mut last = None;
    for _ in 0..attempts {
        if let Ok(stream) = TcpStream::connect(addr) {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            last = Conn { stream }.get("/healthz");
            if last == Some(200) {
                return last;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    last
}
