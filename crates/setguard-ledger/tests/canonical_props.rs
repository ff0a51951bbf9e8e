//! Properties of the canonical encoding: the same record always hashes the same, and any
//! single changed byte in any field, or a byte moved across a field boundary, changes the hash.

use proptest::prelude::*;
use setguard_ledger::{ChainHash, RecordFields};

#[derive(Debug, Clone)]
struct Owned {
    prev: [u8; 32],
    stream: String,
    seq: u64,
    time: String,
    actor: String,
    payload: Vec<u8>,
}

impl Owned {
    fn hash(&self) -> ChainHash {
        RecordFields {
            prev: &ChainHash::from_bytes(self.prev),
            stream: &self.stream,
            seq: self.seq,
            time: &self.time,
            actor: &self.actor,
            payload: &self.payload,
        }
        .hash()
    }
}

fn record() -> impl Strategy<Value = Owned> {
    (
        any::<[u8; 32]>(),
        "[a-z0-9._-]{1,16}",
        any::<u64>(),
        "[0-9T:-]{19}",
        "[a-z0-9._-]{0,16}",
        proptest::collection::vec(any::<u8>(), 1..200),
    )
        .prop_map(|(prev, stream, seq, time, actor, payload)| Owned {
            prev,
            stream,
            seq,
            time,
            actor,
            payload,
        })
}

/// XORs one byte of an ASCII string with a 7-bit mask, so it stays valid UTF-8.
fn flip_ascii(s: &mut String, at: usize, mask: u8) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut b = s.clone().into_bytes();
    let i = at % b.len();
    b[i] ^= mask & 0x7f;
    match String::from_utf8(b) {
        Ok(t) => {
            *s = t;
            true
        }
        Err(_) => false,
    }
}

proptest! {
    #[test]
    fn hash_is_stable(r in record()) {
        prop_assert_eq!(r.hash(), r.clone().hash());
    }

    #[test]
    fn any_single_byte_change_changes_the_hash(
        r in record(),
        field in 0usize..6,
        at in any::<usize>(),
        mask in 1u8..=255,
    ) {
        prop_assume!(field == 0 || field == 2 || field == 5 || mask & 0x7f != 0);
        let mut m = r.clone();
        let changed = match field {
            0 => { m.prev[at % 32] ^= mask; true }
            1 => flip_ascii(&mut m.stream, at, mask),
            2 => { m.seq ^= u64::from(mask) << (8 * (at % 8)); true }
            3 => flip_ascii(&mut m.time, at, mask),
            4 => flip_ascii(&mut m.actor, at, mask),
            _ => { let i = at % m.payload.len(); m.payload[i] ^= mask; true }
        };
        prop_assume!(changed);
        prop_assert_ne!(r.hash(), m.hash());
    }

    #[test]
    fn moving_a_byte_between_actor_and_payload_changes_the_hash(r in record()) {
        prop_assume!(!r.actor.is_empty());
        let mut m = r.clone();
        let last = m.actor.pop().unwrap_or('x');
        let mut p = vec![u8::try_from(u32::from(last)).unwrap_or(b'x')];
        p.extend_from_slice(&m.payload);
        m.payload = p;
        prop_assert_ne!(r.hash(), m.hash());
    }
}
