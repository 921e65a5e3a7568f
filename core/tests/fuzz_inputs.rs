//! Mutation fuzzing, bounded, in the suite: real seed files (the test
//! village's registers and boundaries, an XLSX workbook, a real push batch
//! from a phone) mutated the way a fuzzer does (bit flips, bytes inserted,
//! deleted, repeated, truncated, spliced), fed to every importer and to the
//! protocol decoders the server runs on what phones send. Every input ends
//! in records, row errors or a whole-file error; none panics, and row
//! errors always point at a real line. The case count bounds the time
//! (`GRIDWORK_FUZZ_CASES`, default 1,500 per target: a few seconds each).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../../tests/hostile/files.rs"]
mod hostile;

use std::path::Path;
use std::sync::OnceLock;

use common::*;
use gridwork_core::hlc::Hlc;
use gridwork_core::import::{parse_households, parse_members, parse_regions_geojson, TableFormat};
use gridwork_core::sync::protocol::{PullResponse, PushRequest};
use proptest::prelude::*;

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bindings/testdata");

fn cases() -> u32 {
    std::env::var("GRIDWORK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500)
}

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(TESTDATA).join(name)).unwrap()
}

/// One mutation, as a fuzzer's havoc stage makes them.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetByte(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Repeat(usize, usize, u8),
    Truncate(usize),
    /// Copy a slice of the input over another place (splice).
    Splice(usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    prop_oneof![
        (at, 0u8..8).prop_map(|(a, b)| Mutation::FlipBit(a, b)),
        (
            at,
            prop_oneof![
                Just(0u8),
                Just(b','),
                Just(b'"'),
                Just(b'\n'),
                Just(b'{'),
                Just(b']'),
                Just(0xFF),
                any::<u8>()
            ]
        )
            .prop_map(|(a, b)| Mutation::SetByte(a, b)),
        (at, proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (at, 1usize..64).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (at, 1usize..32, 1u8..64).prop_map(|(a, n, k)| Mutation::Repeat(a, n, k)),
        at.prop_map(Mutation::Truncate),
        (at, at, 1usize..64).prop_map(|(a, b, n)| Mutation::Splice(a, b, n)),
    ]
}

fn mutate(mut data: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = data.len().max(1);
        match m {
            Mutation::FlipBit(a, b) => {
                if let Some(x) = data.get_mut(a % len) {
                    *x ^= 1 << b;
                }
            }
            Mutation::SetByte(a, b) => {
                if let Some(x) = data.get_mut(a % len) {
                    *x = *b;
                }
            }
            Mutation::Insert(a, bytes) => {
                let at = a % (data.len() + 1);
                data.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(a, n) => {
                let at = a % len;
                let end = (at + n).min(data.len());
                if at < end {
                    data.drain(at..end);
                }
            }
            Mutation::Repeat(a, n, k) => {
                let at = a % len;
                let end = (at + n).min(data.len());
                if at < end {
                    let chunk = data[at..end].to_vec();
                    for _ in 0..*k {
                        data.splice(at..at, chunk.iter().copied());
                    }
                }
            }
            Mutation::Truncate(a) => data.truncate(a % len),
            Mutation::Splice(a, b, n) => {
                let from = a % len;
                let to = b % len;
                let end = (from + n).min(data.len());
                if from < end {
                    let chunk = data[from..end].to_vec();
                    let stop = (to + chunk.len()).min(data.len());
                    data.splice(to..stop, chunk);
                }
            }
        }
    }
    data
}

/// A real push batch: a worker's visit with a photo and the case it drafts.
fn push_seed() -> &'static Vec<u8> {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        let t = township();
        let template = t
            .store
            .checklist_for_kind(gridwork_core::household::PlaceKind::Household)
            .unwrap();
        let mut answers = safe_household_answers();
        answers[2].value = gridwork_core::checklist::AnswerValue::YesNo(true);
        let visit = t
            .store
            .record_visit(
                WORKER,
                &gridwork_core::store::VisitInput {
                    household_code: "H001".into(),
                    patrol_id: None,
                    template_id: template.id.clone(),
                    template_version: template.version,
                    answers,
                    notes: "厨房有异味".into(),
                    fix: Some(fix_at(22.5016, 113.9016)),
                    photos: vec![photo(t.dir.path(), "seed.jpg", None)],
                },
            )
            .unwrap();
        t.store
            .report_case(WORKER, &visit.drafts[0], &[], None)
            .unwrap();
        let req = PushRequest {
            device_id: t.store.device_id().to_string(),
            acked_through: 0,
            ops: t.store.outbox(100).unwrap(),
        };
        serde_json::to_vec(&req).unwrap()
    })
}

fn xlsx_seed() -> &'static Vec<u8> {
    static SEED: OnceLock<Vec<u8>> = OnceLock::new();
    SEED.get_or_init(|| {
        hostile::xlsx(
            Some("A1:G2"),
            &[
                ("A1", "户编码"),
                ("B1", "网格编码"),
                ("C1", "类型"),
                ("D1", "户主"),
                ("E1", "经度"),
                ("F1", "纬度"),
                ("G1", "地址"),
                ("A2", "H001"),
                ("B2", "G1"),
                ("C2", "住户"),
                ("D2", "张三"),
                ("E2", "113.9015"),
                ("F2", "22.5015"),
                ("G2", "幸福路1号"),
            ],
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn registers_survive_mutation(which in 0usize..3, ms in proptest::collection::vec(mutation(), 1..8)) {
        let (bytes, format) = match which {
            0 => (seed("households.csv"), TableFormat::Csv),
            1 => (seed("members.csv"), TableFormat::Csv),
            _ => (xlsx_seed().clone(), TableFormat::Xlsx),
        };
        let input = mutate(bytes, &ms);
        for format in [format, TableFormat::detect(&input)] {
            if let Ok(parsed) = parse_households(&input, format) {
                prop_assert!(parsed.errors.iter().all(|e| e.line >= 1));
            }
            if let Ok(parsed) = parse_members(&input, format) {
                prop_assert!(parsed.errors.iter().all(|e| e.line >= 1));
            }
        }
    }

    #[test]
    fn boundaries_survive_mutation(ms in proptest::collection::vec(mutation(), 1..8)) {
        let input = mutate(seed("township.geojson"), &ms);
        if let Ok(parsed) = parse_regions_geojson(&String::from_utf8_lossy(&input)) {
            // Every problem names the feature it is about.
            for e in &parsed.errors {
                let at = format!("features[{}]", e.line);
                prop_assert!(e.field.starts_with(&at), "{} does not start with {}", e.field, at);
            }
        }
    }

    #[test]
    fn push_batches_survive_mutation(ms in proptest::collection::vec(mutation(), 1..8)) {
        let input = mutate(push_seed().clone(), &ms);
        if let Ok(req) = serde_json::from_slice::<PushRequest>(&input) {
            let _ = req.check_bounds();
            for op in &req.ops {
                let _ = op.operation.kind();
                let _ = op.operation.entity_id();
            }
        }
        let _ = serde_json::from_slice::<PullResponse>(&input);
    }

    #[test]
    fn clock_stamps_survive_any_text(text in "\\PC{0,80}", digits in "[0-9]{0,20}-[0-9]{0,12}-[a-z0-9-]{0,40}") {
        for t in [text, digits] {
            if let Ok(h) = t.parse::<Hlc>() {
                // What parses prints back to something that parses the same.
                prop_assert_eq!(h.to_string().parse::<Hlc>().unwrap(), h);
            }
        }
    }
}
