//! Headless Chromium driven over the DevTools protocol: launched with a fresh profile and
//! `--remote-debugging-port=0`, reached through the port it writes to `DevToolsActivePort`, one page attached in
//! flat session mode. Just enough protocol for end-to-end tests: navigate, evaluate, type, click, screenshot.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The browser binary: `$CHROMIUM`, else `chromium` (Debian's package) on the PATH.
fn binary() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("chromium"))
}

pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
    events: VecDeque<Value>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts Chromium and opens one blank page.
    pub async fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-proxy-server",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); install Debian's chromium package (scripts/test does)",
                    binary().display()
                )
            });
        let endpoint = wait_for_endpoint(profile.path()).await;
        let (socket, _) = tokio_tungstenite::connect_async(endpoint.as_str())
            .await
            .expect("connecting to Chromium's DevTools endpoint");
        let mut browser = Browser {
            child,
            _profile: profile,
            socket,
            next_id: 0,
            session: None,
            events: VecDeque::new(),
        };
        let target = browser
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = browser
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        browser.session = Some(attached["sessionId"].as_str().unwrap().to_owned());
        browser.call("Page.enable", json!({})).await;
        browser
    }

    /// Sends one command (to the page once attached) and returns its result; events that arrive meanwhile are
    /// kept for [`Browser::wait_for_event`].
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = &self.session {
            command["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .unwrap();
        let reply = tokio::time::timeout(CALL_TIMEOUT, async {
            loop {
                let message = self.next_message().await;
                if message["id"] == json!(id) {
                    return message;
                }
                self.events.push_back(message);
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{method}: no answer from Chromium"));
        if let Some(error) = reply.get("error") {
            panic!("{method} failed: {error}");
        }
        reply["result"].clone()
    }

    async fn next_message(&mut self) -> Value {
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("DevTools connection failed: {e}"),
                None => panic!("Chromium closed the DevTools connection"),
            }
        }
    }

    /// The first event called `method` since the last navigation or click.
    pub async fn wait_for_event(&mut self, method: &str) -> Value {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(i).unwrap();
        }
        tokio::time::timeout(CALL_TIMEOUT, async {
            loop {
                let message = self.next_message().await;
                if message["method"] == method {
                    return message;
                }
                self.events.push_back(message);
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {method} event"))
    }

    /// Loads `url` and waits for its load event.
    pub async fn navigate(&mut self, url: &str) {
        self.events.clear();
        let result = self.call("Page.navigate", json!({ "url": url })).await;
        assert!(
            result.get("errorText").is_none(),
            "navigating to {url}: {result}"
        );
        self.wait_for_event("Page.loadEventFired").await;
    }

    /// The value of a JavaScript expression in the page (the test's own probe; the pages run no script).
    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
            )
            .await;
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("{expression}: {exception}");
        }
        result["result"]["value"].clone()
    }

    /// Focuses the element and types `text` into it as keyboard input.
    pub async fn type_into(&mut self, selector: &str, text: &str) {
        let found = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({selector:?}); \
                 if (!e) return false; e.focus(); return true; }})()"
            ))
            .await;
        assert_eq!(found, json!(true), "no element {selector}");
        self.call("Input.insertText", json!({ "text": text })).await;
    }

    /// Taps the element's centre with the mouse, like a reader (a checkbox, say: nothing to wait for).
    pub async fn click(&mut self, selector: &str) {
        self.tap(selector).await;
    }

    /// Taps the element's centre with the mouse, like a reader, and waits for the page it leads to.
    pub async fn click_and_wait_for_load(&mut self, selector: &str) {
        self.tap(selector).await;
        self.wait_for_event("Page.loadEventFired").await;
    }

    async fn tap(&mut self, selector: &str) {
        let centre = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({selector:?}); e.scrollIntoView(); \
                 const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
            ))
            .await;
        let (x, y) = (centre[0].as_f64().unwrap(), centre[1].as_f64().unwrap());
        self.events.clear();
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            )
            .await;
        }
    }

    /// A phone-sized viewport: `width` CSS pixels wide, touch, device scale 2.
    pub async fn emulate_phone(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 2, "mobile": true }),
        )
        .await;
    }

    /// `prefers-color-scheme` as the page sees it.
    pub async fn emulate_color_scheme(&mut self, scheme: &str) {
        self.call(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .await;
    }

    /// A PNG of the viewport, written to `path`.
    pub async fn screenshot(&mut self, path: &Path) {
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

/// Reads `ws://127.0.0.1:PORT/devtools/browser/ID` from the profile's `DevToolsActivePort` file.
async fn wait_for_endpoint(profile: &Path) -> String {
    let file = profile.join("DevToolsActivePort");
    let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return format!("ws://127.0.0.1:{port}{path}");
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Chromium did not write {} within {STARTUP_TIMEOUT:?}",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
