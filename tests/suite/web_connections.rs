//! Connections that try to hold the server: idle and slow-header sockets, more connections than the cap or the
//! open-file limit allows, and a client still trickling headers when SIGTERM comes. Against the real server on
//! port 0: in-process where the configuration is enough, as a `verdicts serve` process where the file limit
//! (prlimit) or the signal matters.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use crate::support::app::{TestApp, spawn_app_with};
use crate::support::serve_process::{Conn, ServeProcess, healthz_on_a_fresh_connection};

fn socket_addr(app: &TestApp) -> SocketAddr {
    app.address.trim_start_matches("http://").parse().unwrap()
}

/// Sends a header line every 200 ms on each socket until every one of them has been closed (or ~60 s).
fn trickle(sockets: Vec<TcpStream>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for line in 0..300 {
            let header = format!("X-Slow-{line}: 1\r\n");
            let alive = sockets
                .iter()
                .filter(|socket| {
                    let mut socket: &TcpStream = socket;
                    socket.write_all(header.as_bytes()).is_ok()
                })
                .count();
            if alive == 0 {
                return;
            }
            thread::sleep(Duration::from_millis(200));
        }
    })
}

/// Opens a connection and sends the start of a request whose headers never end.
fn slow_request(addr: SocketAddr) -> Conn {
    let mut conn = Conn::open(addr);
    conn.stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
        .unwrap();
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_header_sockets_leave_healthz_answering_and_the_server_closes_the_slow_ones()
{
    let app = spawn_app_with(|config| config.header_read_timeout_seconds = 2).await;
    let addr = socket_addr(&app);
    let (health, closed) = tokio::task::spawn_blocking(move || {
        let idle: Vec<TcpStream> = (0..200)
            .map(|_| TcpStream::connect(addr).unwrap())
            .collect();
        let slow: Vec<Conn> = (0..12).map(|_| slow_request(addr)).collect();
        let trickler = trickle(slow.iter().map(|c| c.stream.try_clone().unwrap()).collect());
        let health = healthz_on_a_fresh_connection(addr, 1);
        let closed: Vec<Option<String>> = slow
            .into_iter()
            .map(|mut conn| conn.read_until_closed())
            .collect();
        drop(idle);
        trickler.join().unwrap();
        (health, closed)
    })
    .await
    .unwrap();
    assert_eq!(health, Some(200));
    for answer in closed {
        let answer = answer.expect("a slow-header connection was still open after 30 s");
        assert!(
            !answer.contains(" 200 "),
            "a slow request was served: {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_connection_left_idle_is_closed_by_the_server() {
    let app = spawn_app_with(|config| config.header_read_timeout_seconds = 1).await;
    let addr = socket_addr(&app);
    let (first, closed) = tokio::task::spawn_blocking(move || {
        let mut conn = Conn::open(addr);
        let first = conn.get("/healthz");
        (first, conn.read_until_closed())
    })
    .await
    .unwrap();
    assert_eq!(first, Some(200));
    assert_eq!(
        closed.as_deref(),
        Some(""),
        "the idle connection stayed open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_new_connections_are_refused_while_an_open_one_is_served() {
    let app = spawn_app_with(|config| {
        config.max_connections = 20;
        config.header_read_timeout_seconds = 120;
    })
    .await;
    let addr = socket_addr(&app);
    let (before, refused, during, after) = tokio::task::spawn_blocking(move || {
        let mut keep = Conn::open(addr);
        let before = keep.get("/healthz");
        let idle: Vec<TcpStream> = (0..19).map(|_| TcpStream::connect(addr).unwrap()).collect();
        // Accepted in order, so this is the 21st.
        let refused = Conn::open(addr).read_until_closed();
        let during = keep.get("/healthz");
        drop(idle);
        let after = healthz_on_a_fresh_connection(addr, 100);
        (before, refused, during, after)
    })
    .await
    .unwrap();
    assert_eq!(before, Some(200));
    let refused = refused.expect("the connection past the cap was left open instead of refused");
    assert!(
        refused.is_empty() || refused.starts_with("HTTP/1.1 503"),
        "{refused}"
    );
    assert_eq!(during, Some(200), "the open connection was not served");
    assert_eq!(after, Some(200), "connections are not accepted again");
}

#[test]
fn under_a_small_open_file_limit_the_cap_refuses_the_excess_and_nothing_runs_out_of_files() {
    let server = ServeProcess::start(
        &[("VERDICTS_HEADER_READ_TIMEOUT_SECONDS", "120")],
        Some(256),
    );
    let mut keep = Conn::open(server.addr);
    assert_eq!(keep.get("/healthz"), Some(200));
    let mut sockets: Vec<Conn> = (0..300).map(|_| Conn::open(server.addr)).collect();
    // The last one is past the cap (at most 128 of 256 descriptors), so it is closed at once.
    let answer = sockets
        .last_mut()
        .unwrap()
        .read_until_closed()
        .expect("a connection past the cap was left open");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 503"),
        "{answer}"
    );
    assert_eq!(keep.get("/healthz"), Some(200), "{}", server.log());
    let log = server.log();
    assert!(log.contains("too many open connections"), "{log}");
    assert!(!log.contains("cannot accept"), "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
    drop(sockets);
}

#[test]
fn running_out_of_file_descriptors_pauses_accepting_and_serving_resumes_afterwards() {
    let server = ServeProcess::start(&[("VERDICTS_HEADER_READ_TIMEOUT_SECONDS", "120")], None);
    let mut keep = Conn::open(server.addr);
    assert_eq!(keep.get("/healthz"), Some(200));
    // The cap was fitted to the limit at start; lowering the limit now makes accept itself fail (EMFILE), as
    // when other parts of the process use up the descriptors.
    server.set_open_files(64, 4096);
    let flood: Vec<TcpStream> = (0..150)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    thread::sleep(Duration::from_millis(500));
    assert_eq!(keep.get("/healthz"), Some(200), "{}", server.log());
    drop(flood);
    assert_eq!(
        healthz_on_a_fresh_connection(server.addr, 100),
        Some(200),
        "{}",
        server.log()
    );
    let log = server.log();
    assert_eq!(log.matches("cannot accept connections").count(), 1, "{log}");
    assert!(log.contains("Too many open files"), "{log}");
}

#[test]
fn on_sigterm_the_server_drains_for_the_configured_time_then_exits_despite_a_trickling_client() {
    let mut server = ServeProcess::start(
        &[
            ("VERDICTS_SHUTDOWN_DRAIN_SECONDS", "1"),
            ("VERDICTS_HEADER_READ_TIMEOUT_SECONDS", "600"),
            ("VERDICTS_IDLE_TIMEOUT_SECONDS", "600"),
        ],
        None,
    );
    let mut slow = slow_request(server.addr);
    let trickler = trickle(vec![slow.stream.try_clone().unwrap()]);
    // Accepted in order: once this answers, the trickling connection is being served too.
    assert_eq!(healthz_on_a_fresh_connection(server.addr, 1), Some(200));
    server.terminate();
    // The trickle would go on for a minute and the header timeout is ten; the drain is one second.
    let closed = slow.read_until_closed();
    let status = server.child.wait().unwrap();
    trickler.join().unwrap();
    let log = server.log();
    assert!(
        closed.is_some(),
        "the trickling client was still connected: {log}"
    );
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("still open after 1s"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_body_stalls_is_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|config| {
        config.idle_timeout_seconds = 1;
        config.header_read_timeout_seconds = 120;
    })
    .await;
    let addr = socket_addr(&app);
    let closed = tokio::task::spawn_blocking(move || {
        let mut conn = Conn::open(addr);
        conn.stream
            .write_all(
                b"POST /subscribe HTTP/1.1\r\nHost: test\r\n\
                  Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a",
            )
            .unwrap();
        conn.read_until_closed()
    })
    .await
    .unwrap();
    let answer = closed.expect("the stalled upload was still open after 30 s");
    assert!(!answer.contains(" 200 "), "{answer}");
}
