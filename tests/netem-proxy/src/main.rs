//! `gridwork-netem`: run the shaping proxy by hand in front of a local server.
//!
//! Prints the address it listens on as the first line of standard output,
//! then forwards until interrupted (Ctrl-C). `RUST_LOG=gridwork_netem=debug`
//! logs each connection to standard error.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use gridwork_netem::{Direction, LinkShape, Profile, Proxy, ProxyConfig};

/// A loopback TCP proxy that shapes the link like a bad mobile network.
#[derive(Debug, Parser)]
#[command(name = "gridwork-netem", version)]
struct Args {
    /// Where to forward, e.g. 127.0.0.1:8080.
    #[arg(long)]
    target: SocketAddr,
    /// Loopback address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Preset: edge2g, gprs or wifi.
    #[arg(long, default_value = "edge2g")]
    profile: Profile,
    /// Override the preset's uplink rate (client → target), kbit/s.
    #[arg(long)]
    up_kbit: Option<u64>,
    /// Override the preset's downlink rate (target → client), kbit/s.
    #[arg(long)]
    down_kbit: Option<u64>,
    /// Override the round-trip latency, ms (split evenly between directions).
    #[arg(long)]
    rtt_ms: Option<u64>,
    /// Override the jitter, ms of extra delay at most per direction.
    #[arg(long)]
    jitter_ms: Option<u64>,
    /// Close connections idle for this many seconds.
    #[arg(long, default_value_t = 30)]
    idle_timeout_secs: u64,
}

impl Args {
    fn shaped_profile(&self) -> Profile {
        let overridden = self.up_kbit.is_some()
            || self.down_kbit.is_some()
            || self.rtt_ms.is_some()
            || self.jitter_ms.is_some();
        if !overridden {
            return self.profile;
        }
        let adjust = |mut shape: LinkShape, kbit: Option<u64>| {
            if let Some(kbit) = kbit {
                shape = LinkShape {
                    bytes_per_sec: LinkShape::kbit_per_sec(kbit).bytes_per_sec,
                    burst_bytes: LinkShape::kbit_per_sec(kbit).burst_bytes,
                    ..shape
                };
            }
            if let Some(rtt) = self.rtt_ms {
                shape.latency = Duration::from_millis(rtt / 2);
            }
            if let Some(jitter) = self.jitter_ms {
                shape.jitter = Duration::from_millis(jitter);
            }
            shape
        };
        Profile::Custom {
            up: adjust(self.profile.shape(Direction::Up), self.up_kbit),
            down: adjust(self.profile.shape(Direction::Down), self.down_kbit),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = ProxyConfig::new(args.target)
        .with_listen(args.listen)
        .with_profile(args.shaped_profile())
        .with_idle_timeout(Duration::from_secs(args.idle_timeout_secs));
    let proxy = match Proxy::start(config).await {
        Ok(proxy) => proxy,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "gridwork-netem: {error}");
            return ExitCode::FAILURE;
        }
    };
    let _ = writeln!(std::io::stdout(), "{}", proxy.addr());
    let _ = writeln!(
        std::io::stderr(),
        "gridwork-netem: {} -> {} ({:?})",
        proxy.addr(),
        args.target,
        proxy.profile()
    );
    let _ = tokio::signal::ctrl_c().await;
    let stats = proxy.stats();
    let _ = writeln!(
        std::io::stderr(),
        "gridwork-netem: forwarded {} bytes up, {} down over {} connections",
        stats.bytes_up,
        stats.bytes_down,
        stats.connections_accepted
    );
    proxy.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> Args {
        let mut argv = vec!["gridwork-netem", "--target", "127.0.0.1:9"];
        argv.extend_from_slice(extra);
        Args::try_parse_from(argv).unwrap()
    }

    #[test]
    fn a_preset_alone_is_used_as_is() {
        assert_eq!(parse(&[]).shaped_profile(), Profile::Edge2G);
        assert_eq!(
            parse(&["--profile", "gprs"]).shaped_profile(),
            Profile::Gprs
        );
    }

    #[test]
    fn overrides_adjust_the_preset() {
        let profile =
            parse(&["--profile", "gprs", "--down-kbit", "80", "--rtt-ms", "1000"]).shaped_profile();
        let down = profile.shape(Direction::Down);
        let up = profile.shape(Direction::Up);
        assert_eq!(down.bytes_per_sec, Some(10_000));
        assert_eq!(
            up,
            Profile::Gprs
                .shape(Direction::Up)
                .with_latency(Duration::from_millis(500))
        );
        assert_eq!(down.latency, Duration::from_millis(500));
        assert_eq!(down.jitter, Profile::Gprs.shape(Direction::Down).jitter);
    }

    #[test]
    fn unknown_profiles_are_refused() {
        let argv = [
            "gridwork-netem",
            "--target",
            "127.0.0.1:9",
            "--profile",
            "5g",
        ];
        assert!(Args::try_parse_from(argv).is_err());
    }
}
