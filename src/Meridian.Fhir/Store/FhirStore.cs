using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Meridian.Fhir.Data;
using Meridian.Fhir.Search;
using Meridian.SharedKernel.Data;
using Meridian.SharedKernel.Errors;

namespace Meridian.Fhir.Store;

internal sealed record StoredVersion(string ResourceType, string Id, int VersionId, DateTime LastUpdated, bool Deleted, byte[] Json);

/// <summary>One version to store: <paramref name="Exists"/> says whether a current row is replaced or inserted.</summary>
internal sealed record ResourceWrite(string Type, string Id, int Version, DateTime LastUpdated, byte[] Json, bool Exists);

/// <summary>
/// The FHIR resource store: current versions, history, and the search index, in raw ADO.NET for both providers.
/// A read is one primary-key lookup that returns the stored UTF-8 bytes; a write stores the resource, its history
/// row and its index rows in the caller's transaction.
/// </summary>
internal sealed class FhirStore(DatabaseOptions db)
{
    private readonly string _resource = Table(db, "resource");
    private readonly string _history = Table(db, "resource_history");
    private readonly string _token = Table(db, "search_token");
    private readonly string _string = Table(db, "search_string");
    private readonly string _date = Table(db, "search_date");
    private readonly string _reference = Table(db, "search_reference");
    public DatabaseProvider Provider => db.Provider;

    private static string Table(DatabaseOptions db, string name) => ModuleDatabase.QualifiedTable(db.Provider, FhirDbContext.Schema, name);

    public DbConnection CreateConnection() => DbConnections.Create(db);

    public async Task<StoredVersion?> ReadAsync(string type, string id, CancellationToken ct)
    {
        await using var connection = CreateConnection();
        await connection.OpenAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT version_id, last_updated, deleted, json FROM {_resource} WHERE resource_type = @t AND id = @i";
        Add(cmd, "@t", type);
        Add(cmd, "@i", id);
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new StoredVersion(type, id, reader.GetInt32(0), ReadTime(reader, 1), reader.GetBoolean(2), reader.GetFieldValue<byte[]>(3));
    }

    public async Task<StoredVersion?> ReadVersionAsync(string type, string id, int version, CancellationToken ct)
    {
        await using var connection = CreateConnection();
        await connection.OpenAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT version_id, last_updated, deleted, json FROM {_history} WHERE resource_type = @t AND id = @i AND version_id = @v";
        Add(cmd, "@t", type);
        Add(cmd, "@i", id);
        Add(cmd, "@v", version);
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new StoredVersion(type, id, reader.GetInt32(0), ReadTime(reader, 1), reader.GetBoolean(2), reader.GetFieldValue<byte[]>(3));
    }

    /// <summary>The current version of a resource inside a write transaction, locking its row on PostgreSQL (SQLite's write transaction is already exclusive).</summary>
    public async Task<int?> CurrentVersionForUpdateAsync(DbTransaction tx, string type, string id, CancellationToken ct) =>
        (await CurrentVersionsForUpdateAsync(tx, [(type, id)], ct)).TryGetValue((type, id), out var version) ? version : null;

    /// <summary>
    /// The write path of the FHIR-native types (Organization, Practitioner, Location, RelatedPerson): checks the version
    /// the client expects (R4 http.html#concurrency), stamps id and meta, and saves the version with its history and index
    /// rows in <paramref name="tx"/>. The caller validated the resource and writes the audit record in the same transaction.
    /// </summary>
    public async Task<(StoredVersion Saved, bool Created)> WriteNativeAsync(DbTransaction tx, string type, string id, JsonElement resource,
        int? expectedVersion, bool mustExist, DateTime utcNow, CancellationToken ct)
    {
        var current = await CurrentVersionForUpdateAsync(tx, type, id, ct);
        if (current is null && mustExist) throw new NotFoundException($"{type}/{id} does not exist.");
        if (expectedVersion is { } expected && expected != (current ?? 0))
            throw new PreconditionFailedException(current is null
                ? $"{type}/{id} does not exist, so If-Match W/\"{expected}\" cannot match."
                : $"{type}/{id} is at version {current}, not {expected}: someone else changed it. Read it again and reapply your change.");
        var version = (current ?? 0) + 1;
        // Stored to the millisecond, as meta.lastUpdated shows it, so that the stored time and the JSON agree.
        var now = new DateTime(utcNow.Ticks - utcNow.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
        var json = ResourceStamp.Apply(resource, type, id, version, now);
        await SaveAsync(tx, type, id, version, now, json, exists: current is not null, ct);
        return (new StoredVersion(type, id, version, now, false, json), current is null);
    }

    /// <summary>
    /// The current versions of several resources inside a write transaction, locking their rows on PostgreSQL; resources
    /// that do not exist are absent from the result. One statement per <see cref="KeysPerStatement"/> keys.
    /// </summary>
    public async Task<Dictionary<(string Type, string Id), int>> CurrentVersionsForUpdateAsync(DbTransaction tx,
        IReadOnlyCollection<(string Type, string Id)> keys, CancellationToken ct)
    {
        var versions = new Dictionary<(string Type, string Id), int>();
        foreach (var chunk in keys.Distinct().Chunk(KeysPerStatement))
        {
            await using var cmd = tx.Connection!.CreateCommand();
            cmd.Transaction = tx;
            var where = new System.Text.StringBuilder();
            var n = 0;
            foreach (var group in chunk.GroupBy(k => k.Type))
            {
                if (where.Length > 0) where.Append(" OR ");
                where.Append($"(resource_type = @t{n} AND id IN (");
                Add(cmd, $"@t{n}", group.Key);
                var first = true;
                foreach (var (_, id) in group)
                {
                    where.Append(first ? $"@i{n}" : $", @i{n}");
                    Add(cmd, $"@i{n}", id);
                    n++;
                    first = false;
                }
                where.Append("))");
            }
            cmd.CommandText = $"SELECT resource_type, id, version_id FROM {_resource} WHERE {where}" +
                              (db.Provider == DatabaseProvider.PostgreSql ? " FOR UPDATE" : "");
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) versions[(reader.GetString(0), reader.GetString(1))] = reader.GetInt32(2);
        }
        return versions;
    }

    private const int KeysPerStatement = 500;

    /// <summary>
    /// Stores a version: the current row (inserted or replaced), a history row, and the index rows rebuilt from the
    /// resource. Everything runs in <paramref name="tx"/>, so a failure leaves nothing behind.
    /// </summary>
    public Task SaveAsync(DbTransaction tx, string type, string id, int version, DateTime lastUpdated, byte[] json, bool exists, CancellationToken ct) =>
        SaveManyAsync(tx, [new ResourceWrite(type, id, version, lastUpdated, json, exists)], ct);

    /// <summary>
    /// Stores several versions (see <see cref="SaveAsync"/>) as one <see cref="SqlBatch"/>: on PostgreSQL a registration's
    /// patient and coverages are one round trip, where one command per resource plus a version lookup each took four.
    /// </summary>
    public Task SaveManyAsync(DbTransaction tx, IReadOnlyList<ResourceWrite> writes, CancellationToken ct) =>
        Prepare(writes).ExecuteAsync(tx, ct);

    /// <summary>
    /// The statements that store <paramref name="writes"/>, with their index rows extracted: no database work, so a
    /// caller can build them before its transaction and run them inside it.
    /// </summary>
    public SqlBatch Prepare(IReadOnlyList<ResourceWrite> writes)
    {
        var batch = new SqlBatch();
        foreach (var w in writes)
        {
            IndexRows rows;
            using (var doc = JsonDocument.Parse(w.Json)) rows = SearchIndexer.Extract(w.Type, doc.RootElement);
            AppendWrite(batch, w, rows);
        }
        return batch;
    }

    /// <summary>
    /// The current row, its history row and every index row of one version. Index rows go one multi-row INSERT per table:
    /// a statement per index row costs a round trip each on PostgreSQL and a prepare each on SQLite, and a patient has dozens.
    /// </summary>
    private void AppendWrite(SqlBatch batch, ResourceWrite w, IndexRows rows)
    {
        var time = db.Provider == DatabaseProvider.Sqlite ? (object)FormatSqliteTime(w.LastUpdated) : w.LastUpdated;
        SqlBatch.Statement Version(string sql) =>
            batch.Add(sql).Parameter("@t", w.Type).Parameter("@i", w.Id).Parameter("@v", w.Version).Parameter("@u", time).Parameter("@d", false).Parameter("@j", w.Json);
        Version(w.Exists
            ? $"UPDATE {_resource} SET version_id = @v, last_updated = @u, deleted = @d, json = @j WHERE resource_type = @t AND id = @i"
            : $"INSERT INTO {_resource} (resource_type, id, version_id, last_updated, deleted, json) VALUES (@t, @i, @v, @u, @d, @j)");
        Version($"INSERT INTO {_history} (resource_type, id, version_id, last_updated, deleted, json) VALUES (@t, @i, @v, @u, @d, @j)");
        if (w.Exists)
            foreach (var table in (string[])[_token, _string, _date, _reference])
                batch.Add($"DELETE FROM {table} WHERE resource_type = @t AND resource_id = @i").Parameter("@t", w.Type).Parameter("@i", w.Id);
        void Rows(string table, string columns, IReadOnlyCollection<(string Param, object B, object? C)> values)
        {
            if (values.Count == 0) return;
            var sql = new System.Text.StringBuilder($"INSERT INTO {table} (resource_type, resource_id, {columns}) VALUES ");
            var statement = batch.Add("").Parameter("@t", w.Type).Parameter("@i", w.Id);
            var n = 0;
            foreach (var (param, b, c) in values)
            {
                sql.Append(n == 0 ? "" : ", ").Append($"(@t, @i, @a{n}, @b{n}, @c{n})");
                statement.Parameter($"@a{n}", param).Parameter($"@b{n}", b).Parameter($"@c{n}", c);
                n++;
            }
            statement.Sql = sql.ToString();
        }
        Rows(_token, "param, system, code", rows.Tokens.Select(r => (r.Param, (object)r.System, (object?)r.Code)).ToList());
        Rows(_string, "param, value, exact", rows.Strings.Select(r => (r.Param, (object)r.Value, (object?)r.Exact)).ToList());
        Rows(_date, "param, low, high", rows.Dates.Select(r => (r.Param, (object)r.Low, (object?)r.High)).ToList());
        Rows(_reference, "param, target_type, target_id", rows.References.Select(r => (r.Param, (object)r.TargetType, (object?)r.TargetId)).ToList());
    }

    public async Task<(IReadOnlyList<byte[]> Resources, int Total)> SearchAsync(SqlSearch search, int offset, int count, CancellationToken ct)
    {
        await using var connection = CreateConnection();
        await connection.OpenAsync(ct);
        var where = $"r.resource_type = @type AND NOT r.deleted{search.Where}";
        int total;
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = $"SELECT COUNT(*) FROM {_resource} r WHERE {where}";
            Add(cmd, "@type", search.ResourceType);
            foreach (var (name, value) in search.Parameters) Add(cmd, name, value);
            total = Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        }
        var list = new List<byte[]>();
        if (count > 0 && offset < total)
        {
            await using var cmd = connection.CreateCommand();
            // Ordered by id: stable across pages, and the primary key serves the sort.
            cmd.CommandText = $"SELECT r.json FROM {_resource} r WHERE {where} ORDER BY r.id LIMIT @limit OFFSET @offset";
            Add(cmd, "@type", search.ResourceType);
            foreach (var (name, value) in search.Parameters) Add(cmd, name, value);
            Add(cmd, "@limit", count);
            Add(cmd, "@offset", offset);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) list.Add(reader.GetFieldValue<byte[]>(0));
        }
        return (list, total);
    }

    public SqlSearchBuilder NewSearch(string type) => new(type, _token, _string, _date, _reference);

    /// <summary>The text form EF Core's SQLite provider uses for DateTime, so that EF and raw SQL agree.</summary>
    private static string FormatSqliteTime(DateTime utc) =>
        utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    private static DateTime ReadTime(DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(string)
            ? DateTime.SpecifyKind(DateTime.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture), DateTimeKind.Utc)
            : DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc);

    internal static void Add(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }
}
