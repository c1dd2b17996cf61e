//! Guarded TCP connections, for TCP and TLS probes.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::refusal::Refusal;
use crate::resolve::ResolveError;
use crate::Guard;

/// Why [`Guard::connect_tcp`] gave no connection, in the classes a probe reports.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("not a valid host name or IP address")]
    InvalidHost,
    #[error("the host name could not be resolved: {0}")]
    Dns(#[source] io::Error),
    #[error("could not connect: {0}")]
    Connect(#[source] io::Error),
    #[error("timed out")]
    Timeout,
}

impl From<ResolveError> for ConnectError {
    fn from(err: ResolveError) -> Self {
        match err {
            ResolveError::InvalidHost => ConnectError::InvalidHost,
            ResolveError::Dns(err) => ConnectError::Dns(err),
            ResolveError::Refused(refusal) => ConnectError::Refused(refusal),
        }
    }
}

impl Guard {
    /// Connects to `host:port` if the policy allows it: the name is resolved
    /// once, every address is checked, and only allowed addresses are tried,
    /// in the resolver's order. `timeout` bounds the whole operation.
    ///
    /// Returns the stream and the address it reached.
    pub async fn connect_tcp(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<(TcpStream, SocketAddr), ConnectError> {
        let attempt = async {
            let mut last_error = None;
            for addr in self.resolve(host, port).await? {
                match TcpStream::connect(addr).await {
                    Ok(stream) => return Ok((stream, addr)),
                    Err(err) => last_error = Some(err),
                }
            }
            Err(ConnectError::Connect(last_error.unwrap_or_else(|| io::Error::other("no address to connect to"))))
        };
        tokio::time::timeout(timeout, attempt).await.unwrap_or(Err(ConnectError::Timeout))
    }
}
