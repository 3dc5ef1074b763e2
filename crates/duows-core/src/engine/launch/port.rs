//! The port an engine is given: free now, and outside the kernel's range for the local ports
//! of outgoing connections. A port found by binding port 0 comes from that range, so any
//! connection made before the engine binds it (the engine's own start-up makes many) can take
//! it, and the start fails with "address already in use". Chosen from 20000 up to that range
//! (none of the ports Ray keeps for itself), checked free on every address; where the
//! kernel's range leaves no room, the kernel picks one.

use rand_core::{OsRng, RngCore};

use crate::engine::cluster::{ray_port_problem, RAY_WORKER_PORTS};

/// The lowest port chosen: above the ports Ray gives its workers (and its client server's).
const LOWEST: u16 = *RAY_WORKER_PORTS.end() + 1;
/// Linux's default range, for where the kernel's cannot be read.
const DEFAULT_EPHEMERAL: (u16, u16) = (32_768, 60_999);

/// The kernel's range for the local ports of outgoing connections.
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut parts = text.split_whitespace().map(str::parse::<u16>);
            match (parts.next(), parts.next()) {
                (Some(Ok(low)), Some(Ok(high))) if 0 < low && low <= high => Some((low, high)),
                _ => None,
            }
        })
        .unwrap_or(DEFAULT_EPHEMERAL)
}

/// The ports to choose from, given the kernel's range: below it when at least 1000 ports
/// are left there, else above it; `None` when neither leaves 1000.
pub(super) fn ports_outside(ephemeral: (u16, u16)) -> Option<(u16, u16)> {
    let (low, high) = ephemeral;
    let (first, last) = if low > LOWEST + 1_000 {
        (LOWEST, low - 1)
    } else {
        (high.saturating_add(1).max(LOWEST), u16::MAX)
    };
    (last >= first && last - first >= 1_000).then_some((first, last))
}

/// Whether a listener can be opened on `port` on every address now.
fn can_listen(port: u16) -> bool {
    std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
}

/// A port the kernel picks (bind port 0 on loopback, read it, let it go).
fn kernel_port() -> std::io::Result<u16> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
}

/// A port nobody listens on now, for an engine to bind shortly.
pub(super) fn engine_port() -> std::io::Result<u16> {
    if let Some((first, last)) = ports_outside(ephemeral_range()) {
        let span = u32::from(last - first) + 1;
        for _ in 0..200 {
            let port = first + (OsRng.next_u32() % span) as u16;
            // Not one Ray keeps for itself (a cluster's head may run beside the engine).
            if ray_port_problem(port).is_none() && can_listen(port) {
                return Ok(port);
            }
        }
    }
    kernel_port()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_chosen_outside_the_kernels_range_for_outgoing_connections() {
        assert_eq!(ports_outside((32_768, 60_999)), Some((20_000, 32_767)));
        assert_eq!(ports_outside((49_152, 65_535)), Some((20_000, 49_151)));
        // Too little below: above it.
        assert_eq!(ports_outside((20_500, 50_000)), Some((50_001, 65_535)));
        assert_eq!(ports_outside((1_024, 40_000)), Some((40_001, 65_535)));
        // No room either side: the kernel picks.
        assert_eq!(ports_outside((1_024, 65_535)), None);
        assert_eq!(ports_outside((10_000, 65_000)), None);
    }

    #[test]
    fn an_engine_port_is_free_and_outside_the_outgoing_range() {
        let port = engine_port().expect("a port");
        assert!(can_listen(port), "{port} is free");
        if let Some((first, last)) = ports_outside(ephemeral_range()) {
            assert!((first..=last).contains(&port), "{port} in {first}..={last}");
            assert_eq!(ray_port_problem(port), None);
        }
    }
}
