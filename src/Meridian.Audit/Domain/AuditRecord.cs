using System.Security.Cryptography;
using System.Text;

namespace Meridian.Audit.Domain;

/// <summary>
/// An append-only, hash-chained audit record. <see cref="Hash"/> = SHA-256 over the record's fields and the previous
/// record's hash, so altering, inserting or deleting any record breaks the chain from that point on.
/// </summary>
internal sealed class AuditRecord
{
    public long Sequence { get; set; }
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
    public string PreviousHash { get; set; } = "";
    public string Hash { get; set; } = "";

    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    public string ComputeHash()
    {
        // Length-prefixed fields: no value can be shifted into its neighbour to forge the same digest.
        var sb = new StringBuilder(256);
        void Field(string? v) => sb.Append(v?.Length ?? -1).Append(':').Append(v).Append('|');
        Field(Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Field(DateTime.SpecifyKind(OccurredAt, DateTimeKind.Utc).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture));
        Field(UserId); Field(UserName); Field(Role); Field(ClientId); Field(PatientId);
        Field(Action); Field(ResourceType); Field(ResourceId); Field(Outcome); Field(SourceAddress); Field(Detail);
        Field(PreviousHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
