//! The object-store blob store, against `memory://` always and against a real S3-compatible server (moto,
//! started by `.ci/with-s3.sh`) when `HOLLOW_TEST_S3` is set. One test body, every backend: nothing about S3
//! is mocked. Network traffic goes to the loopback server only.
#![cfg(feature = "object-store")]

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use hollow::store::object::{Layout, ObjectStoreBlobStore, StoreOptions};
use hollow::store::{AnnouncementWatcher, Announcer, Blob, BlobId, BlobPublisher, BlobRetriever, BlobType, Version};
use hollow::ErrorKind;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

const PREFIX: &str = "hollow/test";

/// A place to run a test body: new clients of one store, and the raw object store under them.
struct Backend {
    name: &'static str,
    url: String,
    raw: Arc<dyn ObjectStore>,
}

impl Backend {
    fn client(&self, options: &StoreOptions) -> ObjectStoreBlobStore {
        if self.name == "memory" {
            ObjectStoreBlobStore::new(self.raw.clone(), PREFIX, options).unwrap()
        } else {
            ObjectStoreBlobStore::open(&self.url, options).unwrap()
        }
    }
}

fn unique(tag: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    format!("{tag}-{:012x}", h.finish() & 0xffff_ffff_ffff)
}

/// Create a bucket with a plain unsigned `PUT /<bucket>` (moto accepts it; object_store cannot create
/// buckets). Refuses any endpoint that is not on loopback.
fn backends(test: &str) -> Vec<Backend> {
    let mut v = vec![Backend {
        name: "memory",
        url: format!("memory://{PREFIX}"),
        raw: Arc::new(object_store::memory::InMemory::new()),
    }];
    if let Some(endpoint) = common::s3::endpoint(test) {
        let bucket = common::s3::unique_bucket(test);
        common::s3::create_bucket(&endpoint, &bucket);
        let raw = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&bucket).build().unwrap();
        v.push(Backend { name: "s3", url: format!("s3://{bucket}/{PREFIX}"), raw: Arc::new(raw) });
    }
    v
}

fn opts() -> StoreOptions {
    StoreOptions::default()
}

fn fs_opts() -> StoreOptions {
    StoreOptions { layout: Layout::Filesystem, ..StoreOptions::default() }
}

/// Runs the raw client's futures. One runtime for the whole test binary: the S3 client's connection pool
/// belongs to the runtime it was first used on.
fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap())
        .block_on(f)
}

/// Java's `HashCodes.hashLong`, written out from its source (`long` arithmetic wraps; `>>>` is logical).
fn java_hash_long(key: i64) -> i32 {
    let mut key = key as u64;
    key = (!key).wrapping_add(key << 18);
    key ^= key >> 31;
    key = key.wrapping_mul(21);
    key ^= key >> 11;
    key = key.wrapping_add(key << 6);
    key ^= key >> 22;
    key as i32
}

/// Java's `VarInt.writeVLong`: 7-bit groups, most significant first, high bit on all but the last.
fn java_write_vlong(out: &mut Vec<u8>, value: i64) {
    let v = value as u64;
    let mut started = false;
    for shift in (1..10).rev() {
        let group = (v >> (7 * shift)) & 0x7f;
        if started || group != 0 || (shift == 9 && v >> 63 != 0) {
            out.push(0x80 | group as u8);
            started = true;
        }
    }
    out.push((v & 0x7f) as u8);
}

fn java_name(kind: &str, v: i64) -> String {
    format!("{PREFIX}/{kind}/{:x}-{v}", java_hash_long(v) as u32)
}

fn data(seed: u8, len: usize) -> Vec<u8> {
    (0..len).map(|i| seed.wrapping_add((i * 7) as u8)).collect()
}

fn raw_attrs(raw: &Arc<dyn ObjectStore>, path: &str) -> Attributes {
    block(raw.get_opts(&path.into(), Default::default())).unwrap().attributes
}

fn meta<'a>(a: &'a Attributes, k: &'static str) -> Option<&'a str> {
    a.get(&Attribute::Metadata(k.into())).map(|v| v.as_ref())
}

#[test]
fn java_reference_values() {
    // Pinned from Java's algorithm (HashCodes.hashLong, Integer.toHexString).
    assert_eq!(format!("{:x}", java_hash_long(1) as u32), "15515fbc");
    assert_eq!(format!("{:x}", java_hash_long(10) as u32), "d52d9232");
    assert_eq!(format!("{:x}", java_hash_long(20250101000000001) as u32), "d19c12c5");
    assert_eq!(hollow::encoding::hash::hash_long(20250101000000001), java_hash_long(20250101000000001));
    let mut out = Vec::new();
    java_write_vlong(&mut out, 300);
    assert_eq!(out, [0x82, 0x2c]);
}

#[test]
fn reference_layout_names_metadata_and_snapshot_index() {
    for b in backends("layout") {
        let s = b.client(&opts());
        let versions = [20250101000000001i64, 10, 1];
        for v in versions {
            s.publish(&Blob::snapshot(v, data(v as u8, 100))).unwrap();
        }
        s.publish(&Blob::delta(10, 20250101000000001, data(1, 30))).unwrap();
        s.publish(&Blob::reverse_delta(20250101000000001, 10, data(2, 30))).unwrap();
        s.publish(&Blob::header(10, data(3, 5))).unwrap();

        for v in versions {
            let a = raw_attrs(&b.raw, &java_name("snapshot", v));
            assert_eq!(meta(&a, "to_state"), Some(v.to_string().as_str()), "{}", b.name);
        }
        let a = raw_attrs(&b.raw, &java_name("delta", 10));
        assert_eq!((meta(&a, "from_state"), meta(&a, "to_state")), (Some("10"), Some("20250101000000001")));
        let a = raw_attrs(&b.raw, &java_name("reversedelta", 20250101000000001));
        assert_eq!((meta(&a, "from_state"), meta(&a, "to_state")), (Some("20250101000000001"), Some("10")));
        let h = block(b.raw.get(&java_name("header", 10).as_str().into())).unwrap();
        assert_eq!(block(h.bytes()).unwrap().as_ref(), data(3, 5).as_slice());

        // The index, as Java's S3Publisher writes it: ascending, gap-encoded VarLongs.
        let mut expected = Vec::new();
        let mut prev = 0;
        for v in [1i64, 10, 20250101000000001] {
            java_write_vlong(&mut expected, v - prev);
            prev = v;
        }
        let idx = block(b.raw.get(&format!("{PREFIX}/snapshot.index").as_str().into())).unwrap();
        assert_eq!(block(idx.bytes()).unwrap().as_ref(), expected.as_slice(), "{}", b.name);

        s.announce(10, None).unwrap();
        let ann = block(b.raw.get(&format!("{PREFIX}/announced.version").as_str().into())).unwrap();
        assert_eq!(block(ann.bytes()).unwrap().as_ref(), b"10");
    }
}

#[test]
fn filesystem_layout_names() {
    for b in backends("fslayout") {
        let s = b.client(&fs_opts());
        s.publish(&Blob::snapshot(5, data(1, 10))).unwrap();
        s.publish(&Blob::delta(5, 6, data(2, 10))).unwrap();
        let names: Vec<String> = block(async {
            use futures_util::TryStreamExt;
            b.raw.list(Some(&PREFIX.into())).map_ok(|m| m.location.to_string()).try_collect().await
        })
        .unwrap();
        let mut names = names;
        names.sort();
        assert_eq!(names, [format!("{PREFIX}/delta-5-6"), format!("{PREFIX}/snapshot-5")], "{}", b.name);
    }
}

#[test]
fn blobs_are_created_only_if_absent() {
    for b in backends("create") {
        for o in [opts(), fs_opts()] {
            let s = b.client(&StoreOptions { layout: o.layout, ..opts() });
            let base = if o.layout == Layout::Filesystem { 1000 } else { 0 };
            s.publish(&Blob::snapshot(base + 1, data(1, 10))).unwrap();
            // The same bytes again (a create retried after its response was lost) are the same blob...
            s.publish(&Blob::snapshot(base + 1, data(1, 10))).unwrap();
            // ...other bytes under the same name are a collision.
            let e = s.publish(&Blob::snapshot(base + 1, data(9, 10))).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Conflict, "{} {:?}: {e}", b.name, o.layout);
            s.publish(&Blob::delta(base + 1, base + 2, data(2, 10))).unwrap();
            let e = s.publish(&Blob::delta(base + 1, base + 3, data(3, 10))).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Conflict, "{} {:?}: {e}", b.name, o.layout);
            assert!(e.to_string().contains(&format!("from version {}", base + 1)), "{e}");
            s.publish(&Blob::reverse_delta(base + 2, base + 1, data(4, 10))).unwrap();
            let e = s.publish(&Blob::reverse_delta(base + 2, base, data(5, 10))).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
            // The first blobs are untouched.
            assert_eq!(&*s.retrieve_delta(base + 1).unwrap().unwrap().data, data(2, 10).as_slice());
            assert_eq!(s.retrieve_delta(base + 1).unwrap().unwrap().to_version, base + 2);
        }
    }
}

#[test]
fn retrieved_blobs_equal_published_and_list_delete() {
    for b in backends("roundtrip") {
        for layout in [Layout::Reference, Layout::Filesystem] {
            let s = b.client(&StoreOptions { layout, ..opts() });
            let b0 = if layout == Layout::Filesystem { 100 } else { 0 };
            let snap10 = Blob::snapshot(b0 + 10, data(10, 70_000));
            let snap20 = Blob::snapshot(b0 + 20, data(20, 5));
            let delta = Blob::delta(b0 + 10, b0 + 20, data(12, 300));
            let rev = Blob::reverse_delta(b0 + 20, b0 + 10, data(21, 300));
            let header = Blob::header(b0 + 20, data(9, 3));
            for blob in [&snap20, &snap10, &delta, &rev, &header] {
                s.publish(blob).unwrap();
            }
            let c = b.client(&StoreOptions { layout, ..opts() });
            assert_eq!(c.retrieve_snapshot(b0 + 9).unwrap(), None, "{} {layout:?}", b.name);
            assert_eq!(c.retrieve_snapshot(b0 + 10).unwrap().as_ref(), Some(&snap10));
            assert_eq!(c.retrieve_snapshot(b0 + 15).unwrap().as_ref(), Some(&snap10));
            assert_eq!(c.retrieve_snapshot(b0 + 99).unwrap().as_ref(), Some(&snap20));
            assert_eq!(c.retrieve_delta(b0 + 10).unwrap().as_ref(), Some(&delta));
            assert_eq!(c.retrieve_delta(b0 + 20).unwrap(), None);
            assert_eq!(c.retrieve_reverse_delta(b0 + 20).unwrap().as_ref(), Some(&rev));
            assert_eq!(c.retrieve_header(b0 + 20).unwrap().as_ref(), Some(&header));
            assert_eq!(c.retrieve_header(b0 + 10).unwrap(), None);

            let ids: Vec<BlobId> =
                c.list().unwrap().into_iter().filter(|i| i.to_version > b0 && i.to_version < b0 + 100).collect();
            assert_eq!(ids, vec![snap10.id(), rev.id(), snap20.id(), header.id(), delta.id()], "{} {layout:?}", b.name);

            // A delta that leads elsewhere is not the one named: left alone.
            c.delete(&BlobId { to_version: b0 + 21, ..delta.id() }).unwrap();
            assert!(c.retrieve_delta(b0 + 10).unwrap().is_some());
            c.delete(&delta.id()).unwrap();
            c.delete(&delta.id()).unwrap();
            c.delete(&snap20.id()).unwrap();
            assert_eq!(c.retrieve_delta(b0 + 10).unwrap(), None);
            assert_eq!(c.retrieve_snapshot(b0 + 99).unwrap().as_ref(), Some(&snap10));
            assert!(!c.list().unwrap().contains(&snap20.id()));
        }
    }
}

/// A reference-layout delta is named by its origin alone, so `list` asks each one's metadata where it
/// leads (many requests in flight): every answer must land on its own blob.
#[test]
fn list_resolves_every_reference_delta_to_its_own_destination() {
    for b in backends("list-many") {
        let s = b.client(&StoreOptions { layout: Layout::Reference, ..opts() });
        // Uneven steps, so that a destination given to the wrong delta would show.
        let versions: Vec<Version> = (0..41i64).map(|i| 1_000 + i * i + 3 * i).collect();
        let mut expected = Vec::new();
        for pair in versions.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            for blob in [Blob::delta(from, to, data(from as u8, 40)), Blob::reverse_delta(to, from, data(to as u8, 40))]
            {
                s.publish(&blob).unwrap();
                expected.push(blob.id());
            }
        }
        expected.sort_by_key(|b| (b.to_version, b.from_version, b.blob_type));
        let listed: Vec<BlobId> = b.client(&StoreOptions { layout: Layout::Reference, ..opts() }).list().unwrap();
        assert_eq!(listed.len(), 80, "{}", b.name);
        assert_eq!(listed, expected, "{}", b.name);
    }
}

#[test]
fn announce_is_a_compare_and_swap() {
    for b in backends("announce") {
        let s = b.client(&opts());
        assert_eq!(s.announced_version().unwrap(), None);
        let e = s.announce(1, Some(0)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        s.announce(1, None).unwrap();
        s.announce(2, Some(1)).unwrap();
        let e = s.announce(3, Some(1)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(e.to_string().contains("announced version 2"), "{}: {e}", b.name);
        let e = s.announce(3, None).unwrap_err();
        assert!(e.to_string().contains("announced version 2"), "{e}");
        assert_eq!(b.client(&opts()).announced_version().unwrap(), Some(2));

        // Two producers, both expecting 2: exactly one wins, and the store announces the winner.
        for round in 0..5i64 {
            let current = s.announced_version().unwrap();
            let barrier = Arc::new(Barrier::new(2));
            let threads: Vec<_> = (0..2i64)
                .map(|k| {
                    let c = b.client(&opts());
                    let barrier = barrier.clone();
                    std::thread::spawn(move || {
                        let v = 100 + round * 10 + k;
                        barrier.wait();
                        (v, c.announce(v, current))
                    })
                })
                .collect();
            let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            let winners: Vec<i64> = results.iter().filter(|(_, r)| r.is_ok()).map(|(v, _)| *v).collect();
            assert_eq!(winners.len(), 1, "{}: {results:?}", b.name);
            for (_, r) in &results {
                if let Err(e) = r {
                    assert_eq!(e.kind(), ErrorKind::Conflict);
                    assert!(e.to_string().contains(&format!("version {}", winners[0])), "{e}");
                }
            }
            assert_eq!(s.announced_version().unwrap(), Some(winners[0]));
        }
    }
}

#[test]
fn producer_lease() {
    for b in backends("lease") {
        let a = b.client(&opts());
        let c = b.client(&opts());
        let lock = a.lock_producer().unwrap();
        lock.renew().unwrap();
        let e = c.lock_producer().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        assert!(e.to_string().contains("another producer holds the producer lock"), "{e}");
        drop(lock);
        let lock_c = c.lock_producer().unwrap();
        drop(lock_c);

        // An expired lease is taken over, and its old holder learns it on renew.
        let short = StoreOptions { lease_ttl: Duration::from_millis(300), ..opts() };
        let old = b.client(&short).lock_producer().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let new = b.client(&opts()).lock_producer().unwrap();
        let e = old.renew().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        assert!(e.to_string().contains("another producer took over the producer lock"), "{}: {e}", b.name);
        // The loser's drop leaves the new holder's lease alone.
        drop(old);
        new.renew().unwrap();
        assert_eq!(b.client(&opts()).lock_producer().unwrap_err().kind(), ErrorKind::Conflict);
    }
}

#[test]
fn watcher_polls_with_one_conditional_get() {
    for b in backends("watch") {
        let p = b.client(&opts());
        p.announce(5, None).unwrap();
        let w = b.client(&StoreOptions { poll_interval: Duration::from_millis(40), poll_jitter: 0.0, ..opts() });
        assert_eq!(w.latest_version().unwrap(), Some(5));
        let before = w.stats();
        assert_eq!(w.wait_for_change(Some(5), Duration::from_millis(400)).unwrap(), Some(5));
        let after = w.stats();
        let (requests, not_modified) = (after.requests - before.requests, after.not_modified - before.not_modified);
        eprintln!("{}: {requests} requests in {not_modified} idle polls", b.name);
        assert!(not_modified >= 4, "{}: {after:?}", b.name);
        assert_eq!(requests, not_modified, "{}: every idle poll is one 304 GET: {before:?} -> {after:?}", b.name);

        let p2 = p.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            p2.announce(6, Some(5)).unwrap();
        });
        assert_eq!(w.wait_for_change(Some(5), Duration::from_secs(10)).unwrap(), Some(6));
        t.join().unwrap();
        assert_eq!(w.latest_version().unwrap(), Some(6));
    }
}

#[test]
fn truncated_object_is_corrupt() {
    for b in backends("truncated") {
        let s = b.client(&opts());
        let blob = Blob::snapshot(10, data(1, 1000));
        s.publish(&blob).unwrap();
        // Overwrite behind the store's back with the first 600 bytes, metadata kept (as a broken upload
        // tool would).
        let path = s.object_path(&blob.id());
        let attributes = raw_attrs(&b.raw, path.as_ref());
        let options = PutOptions { attributes, ..Default::default() };
        block(b.raw.put_opts(&path, PutPayload::from(data(1, 600)), options)).unwrap();
        let e = b.client(&opts()).retrieve_snapshot(10).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CorruptBlob, "{}: {e}", b.name);
        assert!(e.to_string().contains("600 bytes but was published with 1000"), "{e}");
    }
}

#[test]
fn disk_cache_avoids_downloads_after_restart() {
    for b in backends("cache") {
        let dir = std::env::temp_dir().join(unique("hollow-cache"));
        let cached = StoreOptions { cache_dir: Some(dir.clone()), ..opts() };
        let p = b.client(&opts());
        let snap = Blob::snapshot(10, data(3, 50_000));
        let delta = Blob::delta(10, 11, data(4, 500));
        p.publish(&snap).unwrap();
        p.publish(&delta).unwrap();

        let first = b.client(&cached);
        assert_eq!(first.retrieve_snapshot(10).unwrap().as_ref(), Some(&snap));
        assert_eq!(first.retrieve_delta(10).unwrap().as_ref(), Some(&delta));
        assert!(first.stats().gets >= 2);
        // The cache entry is the snapshot's local file, for a consumer that maps it; no cache, no file.
        let file = first.local_file(&snap.id()).expect("the cached snapshot's file");
        assert_eq!(std::fs::read(&file).unwrap(), &*snap.data);
        assert_eq!(p.local_file(&snap.id()), None);

        // A restarted consumer: the snapshot costs no request at all, the delta one HEAD (its name holds
        // only its origin) and no GET.
        let restarted = b.client(&cached);
        assert_eq!(restarted.retrieve_snapshot(10).unwrap().as_ref(), Some(&snap));
        assert_eq!(restarted.requests(), 0, "{}: {:?}", b.name, restarted.stats());
        assert_eq!(restarted.retrieve_delta(10).unwrap().as_ref(), Some(&delta));
        let st = restarted.stats();
        assert_eq!((st.gets, st.heads), (0, 1), "{}: {st:?}", b.name);

        // A cache file that lost bytes is not served: downloaded again.
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            for f in std::fs::read_dir(entry.path()).unwrap().flatten() {
                if f.file_name().to_string_lossy().starts_with("snapshot-10.") {
                    std::fs::write(f.path(), b"short").unwrap();
                }
            }
        }
        let again = b.client(&cached);
        assert_eq!(again.retrieve_snapshot(10).unwrap().as_ref(), Some(&snap));
        assert_eq!(again.stats().gets, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn callable_from_inside_a_tokio_runtime() {
    for b in backends("tokio") {
        let s = b.client(&opts());
        for rt in [
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap(),
        ] {
            let s = s.clone();
            let got = rt.block_on(async move {
                let v = s.announced_version().unwrap().map_or(1, |v| v + 1);
                s.publish(&Blob::snapshot(v, data(v as u8, 10))).unwrap();
                s.announce(v, s.announced_version().unwrap()).unwrap();
                let lock = s.lock_producer().unwrap();
                drop(lock);
                s.retrieve_snapshot(v).unwrap().unwrap().to_version == v
            });
            assert!(got, "{}", b.name);
        }
    }
}

#[test]
fn open_by_url() {
    let s = hollow::store::open("memory://a/b?layout=filesystem&poll_interval_ms=10", &opts()).unwrap();
    s.publish(&Blob::snapshot(3, vec![1, 2, 3])).unwrap();
    s.announce(3, None).unwrap();
    assert_eq!(s.wait_for_change(None, Duration::from_secs(1)).unwrap(), Some(3));
    assert_eq!(s.list().unwrap(), vec![BlobId { blob_type: BlobType::Snapshot, from_version: None, to_version: 3 }]);
    assert_eq!(hollow::store::open("ftp://x/y", &opts()).err().unwrap().kind(), ErrorKind::InvalidArgument);
    for b in backends("open") {
        if b.name == "s3" {
            let s = hollow::store::open(&b.url, &opts()).unwrap();
            s.announce(1, None).unwrap();
            assert_eq!(b.client(&opts()).announced_version().unwrap(), Some(1));
        }
    }
}

#[test]
fn objects_written_as_java_s3publisher_writes_them_are_read() {
    for b in backends("java") {
        // What Netflix's reference S3Publisher/S3Announcer leave: no hollow_length metadata, an index
        // written whole, the announcement as decimal text.
        let put = |path: String, body: Vec<u8>, meta: &[(&'static str, &str)]| {
            let mut attributes = Attributes::new();
            for (k, v) in meta {
                attributes.insert(Attribute::Metadata((*k).into()), v.to_string().into());
            }
            let options = PutOptions { attributes, ..Default::default() };
            block(b.raw.put_opts(&path.as_str().into(), PutPayload::from(body), options)).unwrap();
        };
        put(java_name("snapshot", 7), data(7, 64), &[("to_state", "7")]);
        put(java_name("delta", 7), data(8, 16), &[("from_state", "7"), ("to_state", "8")]);
        let mut index = Vec::new();
        java_write_vlong(&mut index, 7);
        put(format!("{PREFIX}/snapshot.index"), index, &[]);
        put(format!("{PREFIX}/announced.version"), b"8".to_vec(), &[]);

        let s = b.client(&opts());
        assert_eq!(s.latest_version().unwrap(), Some(8), "{}", b.name);
        assert_eq!(s.retrieve_snapshot(8).unwrap(), Some(Blob::snapshot(7, data(7, 64))));
        assert_eq!(s.retrieve_delta(7).unwrap(), Some(Blob::delta(7, 8, data(8, 16))));
        assert_eq!(s.list().unwrap().len(), 2);
        // hollow-rs adds to the same index and announces with a compare-and-swap over Java's text.
        s.publish(&Blob::snapshot(9, data(9, 8))).unwrap();
        s.announce(9, Some(8)).unwrap();
        let idx = block(b.raw.get(&format!("{PREFIX}/snapshot.index").as_str().into())).unwrap();
        let mut expected = Vec::new();
        java_write_vlong(&mut expected, 7);
        java_write_vlong(&mut expected, 2);
        assert_eq!(block(idx.bytes()).unwrap().as_ref(), expected.as_slice());
    }
}
