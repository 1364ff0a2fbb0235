using System.Security.Cryptography;
using System.Text;

namespace Flowstate.Identity;

/// <summary>
/// An ingest key as listed (DESIGN §7): what it is called, which roles it carries, the first
/// characters of its secret to recognise it by, and its history. The secret itself is never kept.
/// </summary>
public sealed record IngestKeyInfo(
    string Org, string Id, string Name, string Prefix, IReadOnlyList<string> Roles,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt,
    string? Subject = null, string? RevokedBy = null)
{
    /// <summary>The <c>sub</c> (and audit actor) of a request authenticated by this key.</summary>
    public string Actor => IngestKeySecrets.SubjectOf(Id);
}

/// <summary>
/// A key being created: only the SHA-256 of its secret is stored. <see cref="Subject"/> (optional) is whom
/// the key's telemetry belongs to when the records name nobody (a person id or email, e.g. one laptop's agent).
/// </summary>
public sealed record NewIngestKey(string Org, string Id, string Name, string Prefix, byte[] SecretHash, IReadOnlyList<string> Roles, string CreatedBy,
    string? Subject = null);

/// <summary>
/// The ingest keys of every org, in PostgreSQL (<c>ingest_keys</c>). Lookups by secret go to the
/// database on every request, so a revocation holds on every silo from the moment it commits.
/// </summary>
public interface IIngestKeyStore
{
    /// <summary>Stores a new key; INVALID_INPUT when the org already has <see cref="IngestKeySecrets.MaxActivePerOrg"/> active keys.</summary>
    Task<IngestKeyInfo> CreateAsync(NewIngestKey key, CancellationToken ct = default);

    /// <summary>The org's keys, newest first, revoked ones included.</summary>
    Task<IReadOnlyList<IngestKeyInfo>> ListAsync(string org, CancellationToken ct = default);

    /// <summary>Revokes the org's key (idempotent); null when the org has no key with that id.</summary>
    Task<IngestKeyInfo?> RevokeAsync(string org, string id, string actor, CancellationToken ct = default);

    /// <summary>The active key whose secret hashes to <paramref name="secretHash"/>, or null (unknown or revoked); records its use.</summary>
    Task<IngestKeyInfo?> AuthenticateAsync(byte[] secretHash, CancellationToken ct = default);
}

/// <summary>How ingest-key secrets look and are checked: <c>fsk_</c> + 32 random bytes (base64url), stored as SHA-256.</summary>
public static class IngestKeySecrets
{
    public const string Prefix = "fsk_";

    /// <summary>Roles a key may carry: a key feeds data in or reads and subscribes; it never acts as a person.</summary>
    public static readonly IReadOnlyList<string> AllowedRoles = ["ingest", "integrator"];

    public const int MaxNameLength = 100;
    public const int MaxActivePerOrg = 100;

    /// <summary>Characters of the secret shown in listings ("fsk_" and 8 more: 48 bits, enough to tell keys apart, far too few to guess the rest).</summary>
    public const int ShownPrefixLength = 12;

    private const int SecretBytes = 32;

    /// <summary>The longest text that can be a secret (a longer bearer value is refused without hashing).</summary>
    public const int MaxSecretLength = 64;

    /// <summary>A fresh secret and a fresh id for it.</summary>
    public static (string Secret, string Id) Generate() =>
        (Prefix + Base64Url(RandomNumberGenerator.GetBytes(SecretBytes)), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static string Shown(string secret) => secret[..ShownPrefixLength];

    /// <summary>Whether a bearer credential is an ingest key (rather than a JWT, which never starts with "fsk_").</summary>
    public static bool IsKey(string? credential) => credential is not null && credential.StartsWith(Prefix, StringComparison.Ordinal);

    public static string SubjectOf(string id) => "key:" + id;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
