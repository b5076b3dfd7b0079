// The Java side of the hollow-rs / Java Hollow comparison (see README.md beside this file). Compiled
// against Java Hollow's classes, which are built out of tree and never committed here.
//
//   java -cp CLASSES:OUT HollowCompare generate DIR [MOVIES]   writes the movies dataset with Java Hollow's producer
//   java -cp CLASSES:OUT HollowCompare bench DIR [LOOKUPS]     loads it and prints one "key value" line per figure
//
// examples/java_compare.rs prints the same figures for hollow-rs from the same files, measured the same way.

import com.netflix.hollow.api.producer.HollowProducer;
import com.netflix.hollow.api.producer.fs.HollowFilesystemAnnouncer;
import com.netflix.hollow.api.producer.fs.HollowFilesystemPublisher;
import com.netflix.hollow.core.index.HollowPrimaryKeyIndex;
import com.netflix.hollow.core.read.HollowBlobInput;
import com.netflix.hollow.core.read.engine.HollowBlobReader;
import com.netflix.hollow.core.read.engine.HollowReadStateEngine;
import com.netflix.hollow.core.read.engine.object.HollowObjectTypeReadState;
import com.netflix.hollow.core.write.objectmapper.HollowPrimaryKey;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

public class HollowCompare {

    /** The record of the dataset: Movie @PrimaryKey(id) { long id; String title; int year; double rating; ListOfString tags; } */
    @HollowPrimaryKey(fields = "id")
    public static class Movie {
        long id;
        String title;
        int year;
        double rating;
        List<String> tags;

        Movie(long id, String title, int year, double rating, List<String> tags) {
            this.id = id;
            this.title = title;
            this.year = year;
            this.rating = rating;
            this.tags = tags;
        }
    }

    /** SplitMix64, as benches/support/movies.rs, so that both generators draw the same kind of data. */
    static final class SplitMix64 {
        long state;

        SplitMix64(long seed) {
            state = seed;
        }

        long next() {
            state += 0x9e3779b97f4a7c15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }

        /** The high 64 bits of next() * n, unsigned (n > 0): uniform in [0, n). */
        int below(int n) {
            long x = next();
            return (int) (Math.multiplyHigh(x, n) + ((x >> 63) & n));
        }
    }

    static final int VOCABULARY = 200;
    static final long SEED = 42;
    static final long LOOKUP_SEED = 7;

    static final class Generator {
        final SplitMix64 rng = new SplitMix64(SEED);
        final List<String> vocabulary = new ArrayList<>();
        final Set<Long> ids = new HashSet<>();
        long nextTitle;

        Generator() {
            String[] onsets = {"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st"};
            String[] vowels = {"a", "e", "i", "o", "u", "ai"};
            Set<String> seen = new HashSet<>();
            while (vocabulary.size() < VOCABULARY) {
                StringBuilder w = new StringBuilder();
                int syllables = 2 + rng.below(3);
                for (int i = 0; i < syllables; i++) w.append(onsets[rng.below(16)]).append(vowels[rng.below(6)]);
                if (seen.add(w.toString())) vocabulary.add(w.toString());
            }
        }

        String title() {
            return "The " + vocabulary.get(rng.below(VOCABULARY)) + " " + vocabulary.get(rng.below(VOCABULARY)) + " " + (++nextTitle);
        }

        List<String> tags() {
            int n = rng.below(6);
            List<String> t = new ArrayList<>(n);
            for (int i = 0; i < n; i++) t.add(vocabulary.get(rng.below(VOCABULARY)));
            return t;
        }

        Movie movie() {
            long id;
            do {
                id = rng.next() >>> 24; // 40 bits
            } while (!ids.add(id));
            return new Movie(id, title(), 1920 + rng.below(105), rng.below(101) / 10.0, tags());
        }
    }

    static void generate(Path dir, int n) {
        Generator g = new Generator();
        Movie[] movies = new Movie[n];
        for (int i = 0; i < n; i++) movies[i] = g.movie();
        HollowProducer producer = HollowProducer.withPublisher(new HollowFilesystemPublisher(dir))
                .withAnnouncer(new HollowFilesystemAnnouncer(dir))
                .build();
        producer.initializeDataModel(Movie.class);
        long v1 = producer.runCycle(ws -> {
            for (Movie m : movies) ws.add(m);
        });
        // 1% of the movies change: half get a new rating (a quarter also a new title and tags), half are
        // replaced by new movies, as Movies::mutate in benches/support/movies.rs.
        int changes = Math.round(n * 0.01f);
        for (int c = 0; c < changes; c++) {
            int at = g.rng.below(n);
            Movie m = movies[at];
            if (c % 2 == 0) {
                double rating = g.rng.below(101) / 10.0;
                boolean retitle = c % 4 == 0;
                movies[at] = new Movie(m.id, retitle ? g.title() : m.title, m.year, m.rating == rating ? 10.0 - rating : rating,
                        retitle ? g.tags() : m.tags);
            } else {
                movies[at] = g.movie();
                g.ids.remove(m.id);
            }
        }
        long v2 = producer.runCycle(ws -> {
            for (Movie m : movies) ws.add(m);
        });
        System.out.println("generated " + n + " movies: versions " + v1 + " and " + v2 + " in " + dir);
    }

    /** The first snapshot of the directory and the delta from it. */
    static File[] blobs(File dir) {
        File snapshot = null, delta = null;
        long first = Long.MAX_VALUE;
        for (File f : dir.listFiles()) {
            String name = f.getName();
            if (name.startsWith("snapshot-")) {
                long v = Long.parseLong(name.substring("snapshot-".length()));
                if (v < first) {
                    first = v;
                    snapshot = f;
                }
            }
        }
        for (File f : dir.listFiles()) {
            if (f.getName().startsWith("delta-" + first + "-")) delta = f;
        }
        if (snapshot == null || delta == null) throw new IllegalStateException("no snapshot and delta in " + dir);
        return new File[] {snapshot, delta};
    }

    static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 4; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Forward deltas timed again after the first (see the end of {@code bench}). */
    static final int DELTA_AGAIN = 5;

    /** The reverse delta beside {@code delta-FROM-TO}: {@code reversedelta-TO-FROM}. */
    static File reverseDelta(File delta) {
        String[] v = delta.getName().substring("delta-".length()).split("-");
        return new File(delta.getParentFile(), "reversedelta-" + v[1] + "-" + v[0]);
    }

    static byte[] readAll(File f) throws IOException {
        return java.nio.file.Files.readAllBytes(f.toPath());
    }

    static InputStream open(File f) throws IOException {
        return new BufferedInputStream(new FileInputStream(f), 1 << 16);
    }

    static void bench(File dir, int lookups) throws IOException {
        File[] files = blobs(dir);
        long heapBefore = usedHeap();

        long t0 = System.nanoTime();
        HollowReadStateEngine engine = new HollowReadStateEngine();
        HollowBlobReader reader = new HollowBlobReader(engine);
        try (InputStream in = open(files[0])) {
            reader.readSnapshot(HollowBlobInput.serial(in));
        }
        long t1 = System.nanoTime();
        HollowPrimaryKeyIndex index = new HollowPrimaryKeyIndex(engine, "Movie", "id");
        long t2 = System.nanoTime();
        long heapAfter = usedHeap();
        System.out.printf("load_ms %.1f%n", (t1 - t0) / 1e6);
        System.out.printf("index_ms %.1f%n", (t2 - t1) / 1e6);
        System.out.printf("load_index_ms %.1f%n", (t2 - t0) / 1e6);
        System.out.printf("heap_mib %.1f%n", (heapAfter - heapBefore) / 1048576.0);

        HollowObjectTypeReadState movies = (HollowObjectTypeReadState) engine.getTypeState("Movie");
        HollowObjectTypeReadState strings = (HollowObjectTypeReadState) engine.getTypeState("String");
        int titleField = movies.getSchema().getPosition("title");
        int idField = movies.getSchema().getPosition("id");
        // The keys: LOOKUPS ids drawn from the movies in ordinal order, the same on both sides.
        BitSet populated = movies.getPopulatedOrdinals();
        long[] ids = new long[populated.cardinality()];
        for (int o = populated.nextSetBit(0), i = 0; o >= 0; o = populated.nextSetBit(o + 1)) ids[i++] = movies.readLong(o, idField);
        SplitMix64 rng = new SplitMix64(LOOKUP_SEED);
        long[] keys = new long[lookups];
        for (int i = 0; i < lookups; i++) keys[i] = ids[rng.below(ids.length)];

        // Tight loop: warm up (the JIT), then the median of five rounds.
        long checksum = 0;
        for (int r = 0; r < 3; r++) checksum += loop(index, movies, strings, titleField, keys);
        double[] perOp = new double[5];
        for (int r = 0; r < perOp.length; r++) {
            long s = System.nanoTime();
            checksum += loop(index, movies, strings, titleField, keys);
            perOp[r] = (System.nanoTime() - s) / (double) lookups;
        }
        Arrays.sort(perOp);
        System.out.printf("loop_ns %.1f%n", perOp[perOp.length / 2]);

        // The index probe alone (hollow-rs reports its batched get_many against this).
        long probeSum = 0;
        for (int r = 0; r < 3; r++) probeSum += probes(index, keys);
        for (int r = 0; r < perOp.length; r++) {
            long s = System.nanoTime();
            probeSum += probes(index, keys);
            perOp[r] = (System.nanoTime() - s) / (double) lookups;
        }
        Arrays.sort(perOp);
        System.out.printf("probe_ns %.1f%n", perOp[perOp.length / 2]);

        // One request timed alone: a nanoTime pair around each lookup + title.
        long[] single = new long[lookups];
        for (int i = 0; i < lookups; i++) {
            long s = System.nanoTime();
            int o = index.getMatchingOrdinal(keys[i]);
            String title = strings.readString(movies.readOrdinal(o, titleField), 0);
            single[i] = System.nanoTime() - s;
            checksum += title.length();
        }
        Arrays.sort(single);
        System.out.printf("single_p50_ns %d%n", single[lookups / 2]);
        System.out.printf("single_p99_ns %d%n", single[(int) (lookups * 0.99)]);

        // 1% delta, with the index kept current.
        index.listenForDeltaUpdates();
        long d0 = System.nanoTime();
        try (InputStream in = open(files[1])) {
            reader.applyDelta(HollowBlobInput.serial(in));
        }
        long d1 = System.nanoTime();
        System.out.printf("delta_ms %.1f%n", (d1 - d0) / 1e6);
        // The index follows the delta: every key of the new version is found, with its own id.
        BitSet now = movies.getPopulatedOrdinals();
        int checked = 0;
        for (int o = now.nextSetBit(0); o >= 0 && checked < 10000; o = now.nextSetBit(o + 1), checked++) {
            if (index.getMatchingOrdinal(movies.readLong(o, idField)) != o) throw new IllegalStateException("index is stale at " + o);
        }
        // The same delta again, as a consumer applies its next one: back to v1 by the reverse delta,
        // then forward, DELTA_AGAIN times; the forward applications are timed (median).
        byte[] forward = readAll(files[1]), reverse = readAll(reverseDelta(files[1]));
        double[] again = new double[DELTA_AGAIN];
        for (int r = 0; r < DELTA_AGAIN; r++) {
            reader.applyDelta(HollowBlobInput.serial(new java.io.ByteArrayInputStream(reverse)));
            long a0 = System.nanoTime();
            reader.applyDelta(HollowBlobInput.serial(new java.io.ByteArrayInputStream(forward)));
            again[r] = (System.nanoTime() - a0) / 1e6;
        }
        Arrays.sort(again);
        System.out.printf("delta_again_ms %.1f%n", again[DELTA_AGAIN / 2]);
        int firstMovie = movies.getPopulatedOrdinals().nextSetBit(0);
        if (index.getMatchingOrdinal(movies.readLong(firstMovie, idField)) != firstMovie) throw new IllegalStateException("index is stale after the repeated deltas");
        if (probeSum == 42) System.out.println(); // keeps the probes from being optimized away
        // The sum of the title lengths over the 8 loop rounds and the single-request pass; hollow-rs prints the same.
        System.out.println("movies " + ids.length + " lookups " + lookups + " checksum " + checksum);
    }

    static long loop(HollowPrimaryKeyIndex index, HollowObjectTypeReadState movies, HollowObjectTypeReadState strings, int titleField, long[] keys) {
        long checksum = 0;
        for (long k : keys) {
            int o = index.getMatchingOrdinal(k);
            checksum += strings.readString(movies.readOrdinal(o, titleField), 0).length();
        }
        return checksum;
    }

    static long probes(HollowPrimaryKeyIndex index, long[] keys) {
        long checksum = 0;
        for (long k : keys) checksum += index.getMatchingOrdinal(k);
        return checksum;
    }

    public static void main(String[] args) throws IOException {
        if (args.length >= 2 && args[0].equals("generate")) {
            generate(Paths.get(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000);
        } else if (args.length >= 2 && args[0].equals("bench")) {
            bench(new File(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000);
        } else {
            System.err.println("usage: HollowCompare generate DIR [MOVIES] | bench DIR [LOOKUPS]");
            System.exit(2);
        }
    }
}
