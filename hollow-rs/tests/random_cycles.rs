//! Fifty producer cycles of random changes on the filesystem store, with a consumer refreshing at
//! random points: skipping versions, pinning back, going forward again. After every refresh the
//! consumer must hold exactly the producer's state of that version, ordinals included, and its
//! indexes must answer as a scan of that version does. Run twice: snapshots read into the heap, and
//! snapshots memory-mapped from the store's files (deltas then mixing heap shards into mapped states).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use hollow::consumer::{Consumer, ReadState};
use hollow::index::KeyValue;
use hollow::mapped::MappingMode;
use hollow::producer::{Producer, SequenceVersionMinter};
use hollow::schema::dsl::parse_schemas;
use hollow::store::filesystem::FilesystemBlobStore;
use hollow::tools::dump::dump_state;
use hollow::write::{ListRecord, ObjectRecord};

const SCHEMA: &str = "String { string value; }
ListOfString List<String>;
Item @PrimaryKey(id) { long id; String name; int qty; ListOfString tags; }";

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Item {
    name: String,
    qty: i32,
    tags: Vec<String>,
}

fn random_item(rng: &mut Rng) -> Item {
    Item {
        name: format!("item-{}", rng.below(500)),
        qty: rng.below(20) as i32 - 5,
        tags: (0..rng.below(4)).map(|_| format!("t{}", rng.below(12))).collect(),
    }
}

fn publish(producer: &mut Producer, model: &BTreeMap<i64, Item>) -> i64 {
    producer
        .run_cycle(|ws| {
            let mut s = ObjectRecord::new();
            let mut rec = ObjectRecord::new();
            let mut list = ListRecord::new();
            for (&id, item) in model {
                let name = ws.add_object("String", s.clear().set_string("value", &item.name))?;
                list.clear();
                for t in &item.tags {
                    list.add_element(ws.add_object("String", s.clear().set_string("value", t))?);
                }
                let tags = ws.add_list("ListOfString", &list)?;
                rec.clear().set_long("id", id).set_reference("name", name).set_int("qty", item.qty);
                rec.set_reference("tags", tags);
                ws.add_object("Item", &rec)?;
            }
            Ok(())
        })
        .expect("cycle")
}

fn without_max_ordinals(dump: &str) -> String {
    dump.lines()
        .map(|l| if l.contains("\"maxOrdinal\"") { l.split("\"maxOrdinal\"").next().unwrap() } else { l })
        .collect()
}

fn check(consumer: &Consumer, expected: &ReadState, model: &BTreeMap<i64, Item>) {
    let rs = consumer.read_state().expect("state");
    assert_eq!(rs.version(), expected.version());
    assert_eq!(
        without_max_ordinals(&dump_state(rs.engine(), rs.version())),
        without_max_ordinals(&dump_state(expected.engine(), expected.version())),
        "version {}: consumer state differs from the producer's",
        rs.version()
    );
    let engine = rs.engine();
    let items = engine.object("Item").unwrap();
    let pk = rs.primary_key_index("Item").unwrap();
    for (&id, item) in model {
        let ord = pk.get(engine, &[KeyValue::from(id)]).unwrap_or_else(|| panic!("id {id} missing"));
        assert_eq!(items.read_long(ord, 0), Some(id));
        let name_ord = items.read_ordinal(ord, 1).unwrap();
        assert_eq!(engine.object("String").unwrap().read_string(name_ord, 0).unwrap(), item.name);
    }
    for absent in [-1_i64, 10_000] {
        assert_eq!(pk.get(engine, &[KeyValue::from(absent)]), None);
    }
    let by_qty = rs.hash_index("Item", &["qty"]).unwrap();
    for qty in -5..15 {
        let mut want: Vec<i64> = model.iter().filter(|(_, i)| i.qty == qty).map(|(&id, _)| id).collect();
        let mut got: Vec<i64> =
            by_qty.find(engine, &[KeyValue::from(qty)]).iter().map(|o| items.read_long(o, 0).unwrap()).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want, "qty {qty} at version {}", rs.version());
    }
}

#[test]
fn fifty_random_cycles_with_a_consumer_refreshing_at_random_points() {
    fifty_random_cycles(MappingMode::Copy);
}

#[test]
fn fifty_random_cycles_with_a_memory_mapped_consumer() {
    fifty_random_cycles(MappingMode::Shared);
}

fn fifty_random_cycles(mode: MappingMode) {
    let dir = common::temp_dir(&format!("random-cycles-{mode:?}"));
    let store = Arc::new(FilesystemBlobStore::create(&dir).unwrap());
    let mut producer = Producer::builder(store.clone())
        .with_announcer(store.clone())
        .with_version_minter(Arc::new(SequenceVersionMinter::starting_at(1000)))
        .with_schemas(parse_schemas(SCHEMA).unwrap())
        .with_num_states_between_snapshots(4)
        .build()
        .unwrap();
    let consumer = Consumer::builder(store.clone())
        .with_announcement_watcher(store.clone())
        .with_primary_key_index("Item")
        .with_memory_mapping(mode)
        .build();
    // Shards read in place by some state the consumer held (snapshot loads, and what deltas kept).
    let mut mapped_seen = 0;

    let mut rng = Rng(42);
    let mut model: BTreeMap<i64, Item> = BTreeMap::new();
    let mut history: Vec<(Arc<ReadState>, BTreeMap<i64, Item>)> = Vec::new();
    for cycle in 0..50 {
        let changes = if cycle % 10 == 0 { 60 } else { 1 + rng.below(12) };
        for _ in 0..changes {
            let id = rng.below(400) as i64;
            match rng.below(3) {
                0 => {
                    model.remove(&id);
                }
                _ => {
                    model.insert(id, random_item(&mut rng));
                }
            }
        }
        let v = publish(&mut producer, &model);
        let state = producer.read_state().unwrap();
        assert_eq!(state.version(), v);
        if history.last().map(|(s, _)| s.version()) != Some(v) {
            history.push((state, model.clone()));
        }
        match rng.below(4) {
            0 => {} // skip this version
            1 if history.len() > 3 => {
                // Pin back to an older version, then come forward again below.
                let (old, old_model) = &history[rng.below(history.len() as u64) as usize];
                consumer.refresh_to(old.version()).unwrap();
                check(&consumer, old, old_model);
                mapped_seen += consumer.read_state().unwrap().engine().mapped_shards();
            }
            _ => {
                assert_eq!(consumer.refresh().unwrap(), Some(v));
                check(&consumer, history.last().map(|(s, _)| s).unwrap(), &model);
                mapped_seen += consumer.read_state().unwrap().engine().mapped_shards();
            }
        }
    }
    assert_eq!(consumer.refresh().unwrap(), producer.current_version());
    check(&consumer, &history.last().unwrap().0, &model);
    let m = consumer.metrics();
    assert!(m.deltas_applied > 40, "the consumer mostly followed deltas: {m:?}");
    assert_eq!(mapped_seen > 0, mode == MappingMode::Shared, "{mode:?}: {mapped_seen} mapped shards seen");
    std::fs::remove_dir_all(&dir).unwrap();
}
