//! Real sockets on loopback: a tiny HTTP/1.1 responder that counts the
//! connections it accepts, and helpers to prove that none arrived.

#![allow(dead_code)] // each test file uses a different part

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use outbound::{Guard, GuardedClient, HttpOptions, Policy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Mutex};

/// Every test body runs under this limit.
pub const TEST_LIMIT: Duration = Duration::from_secs(30);

pub async fn within<F: Future>(test: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, test).await.expect("the test took too long")
}

/// What the server answers to a request path.
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn ok(body: impl Into<String>) -> Reply {
        Reply { status: 200, location: None, body: body.into() }
    }

    pub fn redirect(location: impl Into<String>) -> Reply {
        Reply { status: 302, location: Some(location.into()), body: String::new() }
    }
}

type Handler = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

pub struct Server {
    pub addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    /// (ordinal of the accept, starting at 1; peer address)
    accepted: Mutex<mpsc::UnboundedReceiver<(usize, SocketAddr)>>,
}

impl Server {
    /// An HTTP server on 127.0.0.1 that answers every request with 200 "counted".
    pub async fn counting() -> Server {
        Server::start(Ipv4Addr::LOCALHOST.into(), false, |_| Reply::ok("counted")).await.unwrap()
    }

    /// Like `counting`, but keeps connections open for more requests, as a
    /// client's connection pool would like.
    pub async fn counting_keep_alive() -> Server {
        Server::start(Ipv4Addr::LOCALHOST.into(), true, |_| Reply::ok("counted")).await.unwrap()
    }

    pub async fn http(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Server {
        Server::start(Ipv4Addr::LOCALHOST.into(), false, handler).await.unwrap()
    }

    /// On ::1, or `None` where this machine has no IPv6 loopback.
    pub async fn counting_v6() -> Option<Server> {
        Server::start(Ipv6Addr::LOCALHOST.into(), false, |_| Reply::ok("counted")).await.ok()
    }

    async fn start(
        ip: IpAddr,
        keep_alive: bool,
        handler: impl Fn(&str) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).await?;
        let addr = listener.local_addr()?;
        let accepts = Arc::new(AtomicUsize::new(0));
        let (events, accepted) = mpsc::unbounded_channel();
        let handler: Handler = Arc::new(handler);
        let counter = accepts.clone();
        tokio::spawn(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let ordinal = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let _ = events.send((ordinal, peer));
                tokio::spawn(respond(stream, handler.clone(), keep_alive));
            }
        });
        Ok(Server { addr, accepts, accepted: Mutex::new(accepted) })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    /// Proves that no connection arrived after `before` accepts, without
    /// waiting for one not to: connect once ourselves and check that ours is
    /// the very next connection the listener accepts. Anything the code under
    /// test connected earlier would be queued ahead of it.
    pub async fn assert_untouched_since(&self, before: usize, what: &str) {
        let ordinal = self.sentinel().await;
        assert_eq!(ordinal, before + 1, "{what}: something connected to the listener before the sentinel");
    }

    /// Connects, and returns the ordinal the listener gave this connection.
    pub async fn sentinel(&self) -> usize {
        let sentinel = TcpStream::connect(self.addr).await.expect("sentinel connection");
        let local = sentinel.local_addr().unwrap();
        let mut accepted = self.accepted.lock().await;
        loop {
            let (ordinal, peer) = accepted.recv().await.expect("listener stopped");
            if peer == local {
                return ordinal;
            }
        }
    }
}

/// Answers requests (heads only; bodies are ignored) until the client
/// closes, or after the first when not keeping connections alive.
async fn respond(mut stream: TcpStream, handler: Handler, keep_alive: bool) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let end = loop {
            if let Some(at) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return, // a sentinel, or a client that is done
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
        };
        let head = String::from_utf8_lossy(&pending[..end]).into_owned();
        pending.drain(..end);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let reply = handler(&path);
        let location = reply.location.map(|l| format!("Location: {l}\r\n")).unwrap_or_default();
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let response = format!(
            "HTTP/1.1 {} Reply\r\nContent-Length: {}\r\nConnection: {connection}\r\n{location}\r\n{}",
            reply.status,
            reply.body.len(),
            reply.body
        );
        if stream.write_all(response.as_bytes()).await.is_err() || !keep_alive {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

/// A port with nothing listening on it (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    listener.local_addr().unwrap().port()
}

pub fn options() -> HttpOptions {
    HttpOptions { timeout: Duration::from_secs(10), connect_timeout: Duration::from_secs(5), ..HttpOptions::default() }
}

pub fn client(policy: &str) -> (Guard, GuardedClient) {
    let guard = Guard::new(Policy::parse(policy).unwrap());
    let client = guard.http_client(&options()).unwrap();
    (guard, client)
}

pub fn url(raw: &str) -> url::Url {
    url::Url::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
}
