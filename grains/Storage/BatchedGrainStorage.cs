using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;

namespace Flowstate.Storage;

/// <summary>
/// Grain storage for the kinds of grain the ingest fold touches by the thousand (<see cref="StateNames"/>): reads and
/// writes of many grains go out together, one statement each way (group commit), instead of one statement per grain
/// (silo/Sql/200-batched-grain-state.sql). A fold window activates and writes a partition and a subject-month per
/// subject and month it holds; one at a time, those statements were most of the fold's time. Every other state
/// goes to <paramref name="inner"/> (Orleans ADO.NET). Same semantics as the ADO.NET provider: a write succeeds only
/// against the version (ETag) the grain last read or wrote, else <see cref="InconsistentStateException"/>; no row
/// reads as a new state; the payload is the same Orleans binary form.
/// </summary>
public sealed class BatchedGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    /// <summary>The state names (the first argument of [PersistentState]) stored here; the rest go to the inner store.</summary>
    public static readonly IReadOnlySet<string> StateNames = new HashSet<string>(StringComparer.Ordinal) { "usage-partition", "subject-month" };

    /// <summary>Grains per statement at most, and payload bytes per write statement at most (a batch stops at the first it reaches).</summary>
    private const int MaxBatch = 1_000, MaxBatchBytes = 16 << 20;

    private readonly IGrainStorage _inner;
    private readonly NpgsqlDataSource _db;
    private readonly IGrainStorageSerializer _serializer;
    private readonly string _serviceId;
    private readonly Batcher<Read> _reads;
    private readonly Batcher<Write> _writes;

    public BatchedGrainStorage(IGrainStorage inner, string connectionString, IGrainStorageSerializer serializer, string serviceId)
    {
        (_inner, _serializer, _serviceId) = (inner, serializer, serviceId);
        _db = NpgsqlDataSource.Create(connectionString);
        _reads = new Batcher<Read>(ReadBatchAsync);
        _writes = new Batcher<Write>(WriteBatchAsync);
    }

    /// <summary>One grain's read or write, waiting for the batch that carries it.</summary>
    private abstract record Pending(string StateName, string Key)
    {
        public abstract void Fail(Exception e);
        public virtual int Bytes => 0;
    }

    private sealed record Read(string StateName, string Key) : Pending(StateName, Key)
    {
        public TaskCompletionSource<(int Version, byte[]? Payload)?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override void Fail(Exception e) => Done.TrySetException(e);
    }

    private sealed record Write(string StateName, string Key, int? Expected, byte[]? Payload) : Pending(StateName, Key)
    {
        public TaskCompletionSource<int?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override void Fail(Exception e) => Done.TrySetException(e);
        public override int Bytes => Payload?.Length ?? 0;
    }

    private static string KeyOf(GrainId grainId) => grainId.Key.ToString()!;

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!StateNames.Contains(stateName)) { await _inner.ReadStateAsync(stateName, grainId, grainState); return; }
        var read = new Read(stateName, KeyOf(grainId));
        _reads.Enqueue(read);
        var stored = await read.Done.Task;
        grainState.State = stored?.Payload is { } payload ? _serializer.Deserialize<T>(new BinaryData(payload)) : Activator.CreateInstance<T>();
        grainState.ETag = stored?.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = stored?.Payload is not null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!StateNames.Contains(stateName)) { await _inner.WriteStateAsync(stateName, grainId, grainState); return; }
        var version = await StoreAsync(stateName, grainId, grainState.ETag, _serializer.Serialize(grainState.State).ToArray(), "WriteState");
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!StateNames.Contains(stateName)) { await _inner.ClearStateAsync(stateName, grainId, grainState); return; }
        var version = await StoreAsync(stateName, grainId, grainState.ETag, null, "ClearState");
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    private async Task<int> StoreAsync(string stateName, GrainId grainId, string? etag, byte[]? payload, string operation)
    {
        var expected = string.IsNullOrWhiteSpace(etag) ? (int?)null : int.Parse(etag, CultureInfo.InvariantCulture);
        var write = new Write(stateName, KeyOf(grainId), expected, payload);
        _writes.Enqueue(write);
        return await write.Done.Task ?? throw new InconsistentStateException(
            $"Version conflict ({operation}): ServiceId={_serviceId} GrainType={stateName} GrainId={write.Key} ETag={etag}.");
    }

    /// <summary>One select for many grains' states.</summary>
    private async Task ReadBatchAsync(IReadOnlyList<Read> reads)
    {
        await using var cmd = _db.CreateCommand("""
            select s.state_name, s.grain_key, s.version, s.payload
            from batched_grain_state s join unnest($2::text[], $3::text[]) k(state_name, grain_key)
              on s.service_id = $1 and s.state_name = k.state_name and s.grain_key = k.grain_key
            """);
        cmd.Parameters.AddWithValue(_serviceId);
        cmd.Parameters.AddWithValue(reads.Select(r => r.StateName).ToArray());
        cmd.Parameters.AddWithValue(reads.Select(r => r.Key).ToArray());
        var found = new Dictionary<(string, string), (int, byte[]?)>();
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync())
                found[(r.GetString(0), r.GetString(1))] = (r.GetInt32(2), r.IsDBNull(3) ? null : r.GetFieldValue<byte[]>(3));
        foreach (var read in reads)
            read.Done.TrySetResult(found.TryGetValue((read.StateName, read.Key), out var row) ? row : null);
    }

    /// <summary>
    /// One statement for many grains' writes, each against its own expected version: an update where the stored version
    /// is the expected one, an insert where none was expected and none is stored. A grain with no row back lost the check.
    /// </summary>
    private async Task WriteBatchAsync(IReadOnlyList<Write> writes)
    {
        await using var cmd = _db.CreateCommand("""
            with input as (
                select * from unnest($2::text[], $3::text[], $4::int[], $5::bytea[]) as t(state_name, grain_key, expected, payload)),
            updated as (
                update batched_grain_state s set version = s.version + 1, payload = i.payload, modified_at = now()
                from input i
                where i.expected is not null and s.service_id = $1 and s.state_name = i.state_name and s.grain_key = i.grain_key and s.version = i.expected
                returning s.state_name, s.grain_key, s.version),
            inserted as (
                insert into batched_grain_state (service_id, state_name, grain_key, version, payload)
                select $1, state_name, grain_key, 1, payload from input where expected is null
                on conflict do nothing
                returning state_name, grain_key, version)
            select * from updated union all select * from inserted
            """);
        cmd.Parameters.AddWithValue(_serviceId);
        cmd.Parameters.AddWithValue(writes.Select(w => w.StateName).ToArray());
        cmd.Parameters.AddWithValue(writes.Select(w => w.Key).ToArray());
        cmd.Parameters.AddWithValue(writes.Select(w => w.Expected).ToArray());
        cmd.Parameters.Add(new NpgsqlParameter { Value = writes.Select(w => w.Payload).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bytea });
        var stored = new Dictionary<(string, string), int>();
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync())
                stored[(r.GetString(0), r.GetString(1))] = r.GetInt32(2);
        foreach (var write in writes)
            write.Done.TrySetResult(stored.TryGetValue((write.StateName, write.Key), out var version) ? version : null);
    }

    public void Participate(ISiloLifecycle lifecycle) => (_inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    /// <summary>
    /// Puts batching in front of the grain storage registered as <paramref name="name"/> (before the translation of its
    /// errors, so those cover both), on the same database.
    /// </summary>
    public static void Decorate(IServiceCollection services, string name, string connectionString)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, name));
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => new BatchedGrainStorage((IGrainStorage)original.KeyedImplementationFactory!(sp, key),
            connectionString, new OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>()),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterOptions>>().Value.ServiceId));
    }

    /// <summary>
    /// Group commit with an answer per item: items enqueued while a batch is in flight go out together in the next one
    /// (up to <see cref="MaxBatch"/> items or <see cref="MaxBatchBytes"/>), one batch at a time. A batch that fails fails
    /// each of its items with the error. A grain's second item (two activations of one grain, while the cluster settles)
    /// waits for the next batch: one statement checks each grain's version once.
    /// </summary>
    private sealed class Batcher<T>(Func<IReadOnlyList<T>, Task> run) where T : Pending
    {
        private readonly Lock _lock = new();
        private List<T> _pending = [];
        private bool _running;

        public void Enqueue(T item)
        {
            bool start;
            lock (_lock)
            {
                _pending.Add(item);
                start = !_running;
                _running = true;
            }
            if (start) _ = Task.Run(LoopAsync);
        }

        private async Task LoopAsync()
        {
            while (true)
            {
                List<T> batch = [];
                lock (_lock)
                {
                    if (_pending.Count == 0) { _running = false; return; }
                    var (keys, rest, bytes) = (new HashSet<(string, string)>(), new List<T>(), 0);
                    foreach (var item in _pending)
                        if (batch.Count < MaxBatch && (batch.Count == 0 || bytes + item.Bytes <= MaxBatchBytes) && keys.Add((item.StateName, item.Key)))
                        {
                            batch.Add(item);
                            bytes += item.Bytes;
                        }
                        else rest.Add(item);
                    _pending = rest;
                }
                try { await run(batch); }
                catch (Exception e) { foreach (var item in batch) item.Fail(e); }
            }
        }
    }
}
