//! nginx on loopback for the tests that need a real server or a real traffic
//! splitter. Skipped with a message when nginx is absent, unless GOLIVE_REQUIRE_NGINX
//! is set (CI installs it and sets it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nginx {
    child: Child,
    bin: &'static str,
    pub port: u16,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers too (SIGKILL would orphan them).
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> Option<&'static str> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

impl Nginx {
    /// Starts nginx with `http` as the body of its `http { }` block, given the port it
    /// listens on and its own directory (temp paths and logs are set already).
    pub fn start(http: impl Fn(u16, &Path) -> String) -> Option<Nginx> {
        let Some(bin) = binary() else {
            assert!(
                std::env::var_os("GOLIVE_REQUIRE_NGINX").is_none(),
                "GOLIVE_REQUIRE_NGINX is set but nginx is not installed"
            );
            eprintln!("nginx not installed: skipping (apt-get install nginx-light)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        // A free port, chosen now (nginx cannot report one it picked itself).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.path().display();
        let conf = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
               {}\n}}\n",
            http(port, dir.path())
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = Command::new(bin)
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nginx did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Nginx {
            child,
            bin,
            port,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The shell command that makes nginx read its configuration again.
    pub fn reload_cmd(&self) -> String {
        format!(
            "'{}' -p '{d}' -c '{d}/nginx.conf' -s reload",
            self.bin,
            d = self.dir.path().display()
        )
    }
}
