//! What a worker sends on: a connection of its own (golive's HTTP/1.1 exchange, or
//! hyper's HTTP/1.1 or HTTP/2 with one stream), or one stream of an HTTP/2 connection
//! it shares with `--streams` workers (with the h2 crate's client, a worker's own
//! HTTP/2 connection is a group of one).

use std::rc::Rc;

use crate::http::{exchange, Conn, Connector, Exchange, H1Conn, RequestTemplate, SharedH2};
use crate::measure::ErrorKind;

/// An HTTP/2 connection shared by a group of workers: whoever finds it missing or
/// closed opens the next one, while the others wait for it rather than open their own.
#[derive(Default)]
pub(super) struct Group {
    conn: tokio::sync::Mutex<Option<SharedH2>>,
}

pub(super) enum Link {
    H1(Option<H1Conn>),
    Own(Option<Conn>),
    Stream {
        group: Rc<Group>,
        mine: Option<SharedH2>,
    },
}

/// A connection was opened (to be counted), or not.
pub(super) type Opened = bool;

impl Link {
    pub fn new(group: Option<Rc<Group>>, connector: &Connector) -> Link {
        match group {
            None if connector.lean_h1() => Link::H1(None),
            None if connector.lean_h2() => Link::Stream {
                group: Rc::new(Group::default()),
                mine: None,
            },
            None => Link::Own(None),
            Some(group) => Link::Stream { group, mine: None },
        }
    }

    /// Makes sure there is an open connection to send on.
    pub async fn ready(&mut self, connector: &Connector) -> Result<Opened, ErrorKind> {
        match self {
            Link::H1(conn) => {
                if conn.as_mut().is_some_and(|c| !c.is_closed()) {
                    return Ok(false);
                }
                *conn = Some(connector.connect_h1().await?);
                Ok(true)
            }
            Link::Own(conn) => {
                if conn.as_mut().is_some_and(|c| !c.is_closed()) {
                    return Ok(false);
                }
                *conn = Some(connector.connect().await?);
                Ok(true)
            }
            Link::Stream { group, mine } => {
                if mine.as_ref().is_some_and(|m| !m.is_closed()) {
                    return Ok(false);
                }
                let mut shared = group.conn.lock().await;
                if let Some(live) = shared.as_ref().filter(|s| !s.is_closed()) {
                    *mine = Some(live.clone());
                    return Ok(false);
                }
                let fresh = connector.connect_shared().await?;
                *shared = Some(fresh.clone());
                *mine = Some(fresh);
                Ok(true)
            }
        }
    }

    pub async fn exchange(&mut self, template: &RequestTemplate) -> Result<Exchange, ErrorKind> {
        match self {
            Link::H1(Some(c)) => c.exchange(template.http1_bytes(), template.h1_sent()).await,
            Link::Own(Some(c)) => exchange(c, template.build()).await,
            Link::Stream { mine: Some(m), .. } => m.exchange(template).await,
            _ => Err(ErrorKind::Other),
        }
    }

    /// As [`Link::exchange`], for a request filled per send: bytes written into `buf`
    /// for golive's own HTTP/1.1 exchange, a request built for hyper's.
    pub async fn exchange_filled(
        &mut self,
        template: &RequestTemplate,
        fill: &dyn crate::load::Fill,
        (which, index): (usize, u64),
        buf: &mut Vec<u8>,
    ) -> Result<Exchange, ErrorKind> {
        match self {
            Link::H1(Some(c)) => {
                fill.http1(which, index, buf);
                c.exchange(buf, template.h1_sent()).await
            }
            Link::Own(Some(c)) => exchange(c, fill.request(which, index)).await,
            Link::Stream { mine: Some(m), .. } => {
                m.exchange_built(fill.request(which, index)).await
            }
            _ => Err(ErrorKind::Other),
        }
    }

    /// The last exchange failed because the server had closed this kept-alive connection
    /// while it was idle (no byte of a response came back): the request may be sent
    /// again on a new one. golive's own HTTP/1.1 exchange only; hyper's counts a reset.
    pub fn idle_closed(&self) -> bool {
        matches!(self, Link::H1(Some(c)) if c.idle_closed())
    }

    /// After a failed exchange: an own connection is dropped (its state is unknown); a
    /// shared one only when it is closed, since a reset stream leaves it usable.
    pub fn failed(&mut self) {
        match self {
            Link::H1(conn) => *conn = None,
            Link::Own(conn) => *conn = None,
            Link::Stream { mine, .. } => {
                if mine.as_ref().is_some_and(SharedH2::is_closed) {
                    *mine = None;
                }
            }
        }
    }
}
