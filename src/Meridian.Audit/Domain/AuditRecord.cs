using System.Security.Cryptography;
using System.Text;

namespace Meridian.Audit.Domain;

/// <summary>
/// One audited event, appended in the transaction of the work it describes. <see cref="ContentHash"/> fixes its content;
/// the record is linked into the tamper-evident chain by an <see cref="AuditSeal"/> shortly after it commits.
/// </summary>
internal sealed class AuditRecord
{
    public long Id { get; set; }
    public DateTime OccurredAt { get; set; }
    public string? UserId { get; set; }
    public string? UserName { get; set; }
    public string? Role { get; set; }
    public string? ClientId { get; set; }
    public string? PatientId { get; set; }
    public string Action { get; set; } = "";
    public string ResourceType { get; set; } = "";
    public string? ResourceId { get; set; }
    public string Outcome { get; set; } = "";
    public string? SourceAddress { get; set; }
    public string? Detail { get; set; }
    public string ContentHash { get; set; } = "";

    /// <summary>SHA-256 over length-prefixed fields: no value can be shifted into its neighbour to forge the same digest.</summary>
    public string ComputeContentHash()
    {
        var sb = new StringBuilder(256);
        void Field(string? v) => sb.Append(v?.Length ?? -1).Append(':').Append(v).Append('|');
        Field(DateTime.SpecifyKind(OccurredAt, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture));
        Field(UserId); Field(UserName); Field(Role); Field(ClientId); Field(PatientId);
        Field(Action); Field(ResourceType); Field(ResourceId); Field(Outcome); Field(SourceAddress); Field(Detail);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}

/// <summary>
/// A link of the hash chain: seal n covers one record and the seal before it,
/// <c>Hash = SHA-256(n | record id | record content hash | previous seal's hash)</c>. Seals are numbered 1, 2, 3… without gaps.
/// </summary>
internal sealed class AuditSeal
{
    public long Sequence { get; set; }
    public long RecordId { get; set; }
    public string ContentHash { get; set; } = "";
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";
    public DateTime SealedAt { get; set; }

    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    public string ComputeHash() => Compute(Sequence, RecordId, ContentHash, PreviousHash);

    public static string Compute(long sequence, long recordId, string contentHash, string previousHash) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{sequence}|{recordId}|{contentHash}|{previousHash}"))));
}
