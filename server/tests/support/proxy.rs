//! A TCP pass-through the test can cut and restore, to take a database away
//! from a running server the way a crashed or unreachable database would.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: SocketAddr,
    open: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let (open, watch_open) = watch::channel(true);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { return };
                if !*watch_open.borrow() {
                    drop(inbound); // refused: the "database" is down
                    continue;
                }
                let mut watch_open = watch_open.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch_open.wait_for(|open| !*open) => {}
                    }
                });
            }
        });
        Proxy { addr, open, task }
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        let _ = self.open.send(false);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        let _ = self.open.send(true);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
