//! Example applet, built only against `applet-sdk`.
//!
//! - `hello` (HTTP service): answers every request with `200 OK` and a
//!   fixed body, its first argument (default `Hello, world!\n`), with a
//!   `Content-Length` so that the client connection stays usable for the
//!   next request. `HEAD` gets the same head and no body (the proxy drops
//!   it).
//! - `echo` (TCP service): sends back everything it receives until the
//!   client closes its side.
//! - `longpoll` (HTTP service, wakeable): a `GET` waits until a `POST`
//!   to the service publishes a message, then answers it; the `POST` wakes
//!   the waiting streams from its own thread with `Host::wake`.
//!
//! Configuration: `http-request use-service hello "hi there"`,
//! `tcp-request content use-service echo`.

use std::sync::Mutex;

use applet_sdk::{
    applet_debug, export_applet, AppletImpl, Host, Io, ServiceFlags, ServiceKind, Wait,
};

const DEFAULT_BODY: &str = "Hello, world!\n";

struct Hello {
    /// The default body is not copied per request.
    body: std::borrow::Cow<'static, str>,
}

impl Hello {
    fn new(args: &[String], host: Host) -> Result<Hello, String> {
        if args.len() > 1 {
            return Err(format!(
                "hello takes at most one argument, got {}",
                args.len()
            ));
        }
        let body: std::borrow::Cow<'static, str> = match args.first() {
            Some(b) => b.clone().into(),
            None => DEFAULT_BODY.into(),
        };
        applet_debug!(host, "hello: new instance, {} byte body", body.len());
        Ok(Hello { body })
    }
}

impl AppletImpl for Hello {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        // The answer does not depend on the request: send it at once (the
        // proxy drops the body of a HEAD answer, and whatever request body
        // is not read).
        if !io.head_sent() && io.respond(200, "text/plain", self.body.as_bytes()).is_err() {
            io.fail("response refused");
        }
        Wait::DONE
    }
}

/// What `longpoll` instances share: the last message, its generation, and
/// the streams waiting for the next one.
struct Board {
    generation: u64,
    message: Vec<u8>,
    waiting: Vec<u64>,
}

static BOARD: Mutex<Board> = Mutex::new(Board {
    generation: 0,
    message: Vec::new(),
    waiting: Vec::new(),
});

fn board() -> std::sync::MutexGuard<'static, Board> {
    BOARD.lock().unwrap_or_else(|e| e.into_inner())
}

struct LongPoll {
    host: Host,
    /// The generation seen when this `GET` started waiting.
    seen: Option<u64>,
    posted: Vec<u8>,
}

impl LongPoll {
    fn new(_args: &[String], host: Host) -> Result<LongPoll, String> {
        Ok(LongPoll {
            host,
            seen: None,
            posted: Vec::new(),
        })
    }

    /// A `POST`: reads the message, publishes it, wakes the waiters.
    fn publish(&mut self, io: &mut Io<'_>) -> Wait {
        let body = io.body();
        self.posted.extend_from_slice(body);
        io.consume(body.len());
        if !io.body_ended() {
            return Wait::INPUT;
        }
        let waiting = {
            let mut b = board();
            b.generation += 1;
            b.message = std::mem::take(&mut self.posted);
            std::mem::take(&mut b.waiting)
        };
        for id in waiting {
            self.host.wake(id);
        }
        let _ = io.respond(204, "", b"");
        Wait::DONE
    }
}

impl AppletImpl for LongPoll {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        if io.head_sent() {
            return Wait::DONE;
        }
        if io.request().is_some_and(|r| r.method() == "POST") {
            return self.publish(io);
        }
        let mut b = board();
        match self.seen {
            Some(seen) if b.generation > seen => {
                let msg = b.message.clone();
                drop(b);
                let _ = io.respond(200, "text/plain", &msg);
                Wait::DONE
            }
            Some(_) => Wait::INPUT,
            None => {
                self.seen = Some(b.generation);
                b.waiting.push(io.stream().id());
                Wait::INPUT
            }
        }
    }
}

/// Echoes its input.
struct Echo;

impl Echo {
    fn new(args: &[String], _host: Host) -> Result<Echo, String> {
        match args {
            [] => Ok(Echo),
            _ => Err("echo takes no argument".to_string()),
        }
    }
}

impl AppletImpl for Echo {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        let input = io.input();
        let n = io.write(input);
        io.consume(n);
        if n < input.len() {
            Wait::ROOM
        } else if io.input_closed() {
            Wait::DONE
        } else {
            Wait::INPUT
        }
    }
}

export_applet! {
    name: "hello",
    version: env!("CARGO_PKG_VERSION"),
    services: [
        ("hello", ServiceKind::HTTP_SERVICE, "answers 200 OK with a fixed body (first argument)", Hello::new),
        ("echo", ServiceKind::TCP_SERVICE, "echoes its input until the client closes", Echo::new),
        ("longpoll", (ServiceKind::HTTP_SERVICE, ServiceFlags::WAKEABLE), "GET waits for the next POSTed message", LongPoll::new),
    ],
}
