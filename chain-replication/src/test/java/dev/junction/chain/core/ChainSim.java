package dev.junction.chain.core;

import dev.junction.store.Versioned;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

/**
 * A deterministic interaction environment for {@link ChainReplica}: replicas with in-memory stores, a
 * network of queued messages, store commits that happen only when the test says, crashes that lose what
 * was not durable, and clients whose answers are recorded. Reply handles are strings naming the request.
 * After every input the sim calls {@link ChainReplica#flush} (unless {@link #autoFlush} is off), as the
 * shell does once its mailbox is empty.
 */
final class ChainSim {
  static final String NODE = "node";

  /** What a read that must go to the tail is recorded as. */
  static final ClientReply ASK_TAIL = new ClientReply.Rejected(ClientReply.Reason.NOT_TAIL, -1);

  /** A message in flight. */
  record InFlight(int from, int to, PeerMessage message) {}

  /** What a replica's store says about its range: the highest durable sequence number and commit point. */
  record Meta(long applied, long committed) {}

  final ChainSettings settings;
  final Map<Integer, ChainReplica<String>> replicas = new LinkedHashMap<>();
  final Map<Integer, TreeMap<String, Versioned>> stores = new LinkedHashMap<>();
  final Map<Integer, Deque<Output<String>>> unpersisted = new LinkedHashMap<>();
  final Map<Integer, Meta> metas = new LinkedHashMap<>();
  /** Each replica's stored replication log. */
  final Map<Integer, TreeMap<Long, LogEntry>> storedLogs = new LinkedHashMap<>();
  /** Catch-ups a replica could not serve because its stored log no longer reached back far enough. */
  final List<Output.CatchUp> failedCatchUps = new ArrayList<>();
  final List<InFlight> network = new ArrayList<>();
  /** Messages delivered to a slot that runs no replica here (a follower outside the chain), in order. */
  final List<InFlight> toOutsiders = new ArrayList<>();
  final Map<String, List<ClientReply>> answers = new LinkedHashMap<>();
  /** Committed splits the replicas reported, with the slot that reported each. */
  final List<Map.Entry<Integer, Output.Ended>> splitReports = new ArrayList<>();
  final List<String> log = new ArrayList<>();
  RangeConfig config;
  boolean autoFlush = true;

  /** The simulated clock (nanoseconds), read by the replicas' reads and leases. */
  long now = 1_000;
  /** The read lease the simulated controller grants. */
  static final long LEASE = 1_000_000;
  /** Grant every lease request at once (true), or queue it in {@link #leaseRequests} for the test. */
  boolean autoLease = true;
  /** Lease requests not granted yet: the slot and the clock when it asked. */
  final List<long[]> leaseRequests = new ArrayList<>();

  ChainSim(int... slots) {
    this(ChainSettings.DEFAULTS, slots);
  }

  ChainSim(ChainSettings settings, int... slots) {
    this.settings = settings;
    List<Replica> chain = new ArrayList<>();
    for (int s : slots) {
      chain.add(new Replica(s, NODE + s));
    }
    config = new RangeConfig(1, new byte[0], new byte[0], 1, chain);
    for (int s : slots) {
      addReplica(s, ChainReplica.create(s, config, settings, reader(s)));
    }
    for (int s : slots) {
      apply(s, replicas.get(s).start());
    }
    settle(); // the replicas' greetings
  }

  java.util.function.Function<byte[], Optional<Versioned>> reader(int slot) {
    stores.computeIfAbsent(slot, s -> new TreeMap<>());
    return key -> Optional.ofNullable(stores.get(slot).get(str(key)));
  }

  void addReplica(int slot, ChainReplica<String> r) {
    replicas.put(slot, r);
    stores.computeIfAbsent(slot, s -> new TreeMap<>());
    storedLogs.computeIfAbsent(slot, s -> new TreeMap<>());
    metas.putIfAbsent(slot, new Meta(0, 0));
    unpersisted.put(slot, new ArrayDeque<>());
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String str(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  int head() {
    return config.head().slot();
  }

  int tail() {
    return config.tail().slot();
  }

  /** Carries out one output of the replica in {@code slot}, then flushes it. */
  void apply(int slot, Output<String> out) {
    carry(slot, out);
    if (autoFlush) {
      flush(slot);
    }
  }

  /** Carries out what {@code slot}'s replica has ready (see {@link ChainReplica#flush}). */
  void flush(int slot) {
    ChainReplica<String> r = replicas.get(slot);
    if (r != null) {
      carry(slot, r.flush());
    }
  }

  private void carry(int slot, Output<String> out) {
    ChainReplica<String> replica = replicas.get(slot);
    if (out.leaseWanted()) {
      if (autoLease) {
        replica.onLeaseGranted(now, LEASE);
      } else {
        leaseRequests.add(new long[] {slot, now});
      }
    }
    if (!out.persist().isEmpty()) {
      unpersisted.get(slot).add(out);
    }
    if (out.ended() != null) {
      splitReports.add(Map.entry(slot, out.ended()));
    }
    Output.CatchUp catchUp = out.catchUp();
    if (catchUp != null) {
      TreeMap<Long, LogEntry> stored = storedLogs.get(slot);
      if (stored.isEmpty() || stored.firstKey() > catchUp.fromSeq()) {
        failedCatchUps.add(catchUp);
      } else {
        List<LogEntry> entries =
            List.copyOf(stored.subMap(catchUp.fromSeq(), true, catchUp.toSeq(), true).values());
        carry(slot, replica.onStoredLog(catchUp.toSlot(), entries));
      }
    }
    for (Output.Envelope<String> e : out.messages()) {
      network.add(new InFlight(slot, e.toSlot(), e.message()));
    }
    for (Output.Reply<String> r : out.replies()) {
      ClientReply reply = r.reply();
      if (reply instanceof ClientReply.Observed observed) { // as the replica actor delivers it
        ReadView.Refused refused = replica.view().checkOwn(now);
        reply = refused == null
            ? new ClientReply.Done(observed.result())
            : new ClientReply.Rejected(refused.reason(), refused.epoch());
      }
      answers.computeIfAbsent(r.replyTo(), k -> new ArrayList<>()).add(reply);
    }
    for (Output.Read<String> read : out.reads()) {
      ReadOp.Get get = (ReadOp.Get) read.op();
      record(read.replyTo(), replica.view().get(replica.config().epoch(), get.key(), now, reader(slot)));
    }
  }

  private void record(String label, ReadView.Outcome outcome) {
    ClientReply reply;
    if (outcome instanceof ReadView.Value v) {
      reply = new ClientReply.Done(new WriteResult.CasDone(v.value() != null, v.value()));
    } else if (outcome instanceof ReadView.Refused r) {
      reply = new ClientReply.Rejected(r.reason(), r.epoch());
    } else {
      reply = ASK_TAIL;
    }
    answers.computeIfAbsent(label, k -> new ArrayList<>()).add(reply);
  }

  void write(String label, int atSlot, long epoch, RequestId id, WriteOp op) {
    apply(atSlot, replicas.get(atSlot).onClientWrite(epoch, id, op, label, now));
  }

  /** The controller asks replica {@code atSlot} to split the range at {@code at} into ranges 7 and 8. */
  void split(int atSlot, String at) {
    apply(atSlot, replicas.get(atSlot).onEnd(config.epoch(), new Mutation.Split(b(at), 7, 8)));
  }

  void put(String label, String key, String value) {
    write(label, head(), config.epoch(), new RequestId("c", label.hashCode()), new WriteOp.Put(b(key), b(value)));
  }

  /** A get at {@code atSlot} through the replica's read view, as a gateway on its node does it. */
  void read(String label, int atSlot, String key) {
    ChainReplica<String> r = replicas.get(atSlot);
    record(label, r.view().get(config.epoch(), b(key), now, reader(atSlot)));
  }

  /** A get through the replica's mailbox (the core's checks, then its read view). */
  void readThroughCore(String label, int atSlot, String key) {
    readThroughCore(label, atSlot, new ReadOp.Get(b(key)));
  }

  /** A latest-read through the replica's mailbox (at the head it waits for the key's writes in flight). */
  void readLatest(String label, int atSlot, String key) {
    readThroughCore(label, atSlot, new ReadOp.Get(b(key), true));
  }

  private void readThroughCore(String label, int atSlot, ReadOp.Get get) {
    apply(atSlot, replicas.get(atSlot).onClientRead(config.epoch(), get, label, now));
  }

  /** Commits the oldest pending batch of {@code slot}'s store. Returns false when none is pending. */
  boolean persist(int slot) {
    Output<String> batch = unpersisted.get(slot).poll();
    if (batch == null) {
      return false;
    }
    TreeMap<String, Versioned> store = stores.get(slot);
    for (LogEntry e : batch.persist()) {
      storedLogs.get(slot).put(e.seq(), e);
      Mutation m = e.mutation();
      if (m instanceof Mutation.Set set) {
        store.put(str(set.key()), new Versioned(set.value(), e.seq()));
      } else if (m instanceof Mutation.CasApplied ca) {
        store.put(str(ca.key()), new Versioned(ca.value(), e.seq()));
      } else if (m instanceof Mutation.Remove rm) {
        store.remove(str(rm.key()));
      }
    }
    long last = batch.persist().get(batch.persist().size() - 1).seq();
    metas.put(slot, new Meta(last, batch.persistCommitted()));
    log.add(slot + " persisted " + batch.persist().stream().map(LogEntry::seq).toList());
    apply(slot, replicas.get(slot).onPersisted(last));
    return true;
  }

  /** Delivers message {@code index} of the network. */
  void deliver(int index) {
    InFlight m = network.remove(index);
    ChainReplica<String> to = replicas.get(m.to());
    if (to != null) {
      apply(m.to(), to.onPeer(m.message()));
    } else {
      toOutsiders.add(m);
    }
  }

  /** Delivers the first message in flight that is a {@code type}; false when there is none. */
  boolean deliverFirst(Class<? extends PeerMessage> type) {
    for (int i = 0; i < network.size(); i++) {
      if (type.isInstance(network.get(i).message())) {
        deliver(i);
        return true;
      }
    }
    return false;
  }

  /** Persists and delivers everything, in order, until nothing is left (bounded). */
  void settle() {
    for (int step = 0; step < 100_000; step++) {
      boolean progress = false;
      for (int slot : List.copyOf(replicas.keySet())) {
        progress |= persist(slot);
      }
      if (!network.isEmpty()) {
        deliver(0);
        progress = true;
      }
      if (!progress) {
        return;
      }
    }
    throw new AssertionError("the chain did not settle");
  }

  /** Delivers everything in flight, in order, without persisting anything (bounded). */
  void deliverAll() {
    for (int step = 0; step < 100_000 && !network.isEmpty(); step++) {
      deliver(0);
    }
  }

  /**
   * Settles with a random order of commits and deliveries, duplicating some messages and losing others;
   * when nothing is left to deliver but entries wait for acknowledgements, the clock ticks.
   */
  void settleRandomly(Random random) {
    for (int step = 0; step < 100_000; step++) {
      if (!stepRandomly(random)) {
        if (replicas.values().stream().allMatch(r -> r.sentList().isEmpty() && !r.probing())) {
          return;
        }
        tickAll();
      }
    }
    throw new AssertionError("the chain did not settle; log " + log);
  }

  /** One random commit or delivery (some lost, some duplicated); false when nothing is pending. */
  boolean stepRandomly(Random random) {
    List<Integer> withWork = new ArrayList<>();
    for (int slot : replicas.keySet()) {
      if (!unpersisted.get(slot).isEmpty()) {
        withWork.add(slot);
      }
    }
    if (withWork.isEmpty() && network.isEmpty()) {
      return false;
    }
    if (!network.isEmpty() && (withWork.isEmpty() || random.nextBoolean())) {
      int i = random.nextInt(network.size());
      int fate = random.nextInt(20);
      if (fate == 0) {
        network.remove(i); // lost
        return true;
      }
      if (fate == 1) {
        network.add(network.get(i)); // a duplicate delivery later
      }
      deliver(i);
    } else {
      persist(withWork.get(random.nextInt(withWork.size())));
    }
    return true;
  }

  void tickAll() {
    for (int slot : List.copyOf(replicas.keySet())) {
      apply(slot, replicas.get(slot).onTick());
    }
  }

  /** Installs a new chain (epoch + 1) at every listed replica still in the simulation. */
  void reconfigure(int... slots) {
    List<Replica> chain = new ArrayList<>();
    for (int s : slots) {
      chain.add(new Replica(s, NODE + s));
    }
    config = config.withChain(chain);
    for (int s : List.copyOf(replicas.keySet())) {
      apply(s, replicas.get(s).onConfig(config));
    }
  }

  /** Stops a replica: its queued commits and the messages to it are lost. */
  void crash(int slot) {
    replicas.remove(slot);
    unpersisted.remove(slot);
    network.removeIf(m -> m.to() == slot);
  }

  /**
   * Crashes the replica in {@code slot} and starts it again from its store (what it persisted, with the
   * commit point stored with it), at the current configuration.
   */
  ChainReplica<String> restart(int slot) {
    crash(slot);
    Meta meta = metas.get(slot);
    List<LogEntry> stored = List.copyOf(storedLogs.get(slot).values());
    ChainReplica<String> r =
        ChainReplica.recover(slot, config, settings, meta.applied(), meta.committed(), stored, List.of(), reader(slot));
    addReplica(slot, r);
    apply(slot, r.start());
    return r;
  }

  ClientReply onlyAnswer(String label) {
    List<ClientReply> a = answers.get(label);
    if (a == null || a.isEmpty()) {
      throw new AssertionError(label + " was not answered; log " + log);
    }
    return a.get(0);
  }
}
