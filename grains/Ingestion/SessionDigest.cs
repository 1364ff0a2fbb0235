using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Flowstate.Ingestion;

/// <summary>
/// A fingerprint of what a sender said about a session (every field of <see cref="SessionRequest"/>,
/// the model by its canonical name, money without trailing zeros), stored with the session's first
/// write: a re-send with the same fingerprint is a duplicate, one with another is a conflicting re-send.
/// Stable across processes and versions (SHA-256, not a runtime hash).
/// </summary>
public static class SessionDigest
{
    public static long Of(SessionRequest s)
    {
        var text = new StringBuilder();
        void Add(object? value) => text.Append(value switch
        {
            null => "\u2400",
            DateTimeOffset t => t.UtcTicks.ToString(CultureInfo.InvariantCulture),
            decimal d => (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture),
            double f => f.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        }).Append('\u001f');
        Add(s.Id); Add(s.Subject); Add(s.ProviderId); Add(s.Model); Add(s.StartedAt); Add(s.EndedAt);
        Add(s.InputTokens); Add(s.OutputTokens); Add(s.CachedInputTokens); Add(s.Turns); Add(s.CostUsd); Add(s.ApiKeyId);
        Add(s.ProjectId); Add(s.Context?.Repo); Add(s.Context?.Path); Add(s.Context?.App); Add(s.Frustration); Add(s.Prompt); Add(s.Response);
        return BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0);
    }
}
