using System.Text;
using System.Text.Json;

namespace Flowstate.Tests.Integration.Fuzz;

/// <summary>Which credential a generated request carries.</summary>
public enum FuzzCredential { Admin, IngestKey, None, Literal }

/// <summary>One generated HTTP request: sent with HttpClient unless <see cref="Raw"/> holds bytes to write to a socket as they are.</summary>
public sealed record HttpCase(string Kind, HttpMethod Method, string Path, byte[]? Body, string? ContentType,
                              FuzzCredential Credential = FuzzCredential.Admin, string? Authorization = null, bool Chunked = false, byte[]? Raw = null);

/// <summary>One generated WebSocket conversation: the frames sent in order (null: a binary frame of garbage), with or without a valid connection_init first.</summary>
public sealed record WebSocketCase(string Kind, bool InitAsAdmin, IReadOnlyList<string?> Frames, string SubProtocol = "graphql-transport-ws",
                                   IReadOnlyList<string>? CancelIds = null);

/// <summary>
/// The fuzz corpus, generated deterministically from a seed: malformed and hostile requests of every
/// kind the issue names. Every request is invalid, forbidden or unauthenticated, or a read, so that
/// none may change the org's state; the harness checks that none did.
/// </summary>
public sealed class FuzzCases(int seed, FuzzTokens tokens, string rowId, int rowVersion)
{
    private readonly Random _r = new(seed);

    public const string Period = "2026-11";

    private static readonly string[] Sql =
    [
        "' OR '1'='1", "'; DROP TABLE sessions; --", "1; DELETE FROM recon_ledger WHERE true; --", "\" OR \"\"=\"", "x') UNION SELECT * FROM ingest_keys --",
        "%' AND 1=0 UNION SELECT pg_sleep(5) --", "$$; truncate row_events; $$", "\\'; update recon_ledger set status=1; --", "admin'--", "1 OR 1=1",
    ];

    private static readonly string[] Unicode =
    [
        "écrit à la main", "😀🧾💸", "\u202Eevil\u202C", "e\u0301\u0301\u0301\u0301", "\uFEFFbom", "\u0000", "a\u0000b", "\u0007bell", "𝕱𝖑𝖔𝖜", "\uFFFF",
        "日本語のメモ", "\r\n\t", "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x}", "../../etc/passwd",
    ];

    private T Pick<T>(IReadOnlyList<T> items) => items[_r.Next(items.Count)];

    private static string Q(string s) => JsonSerializer.Serialize(s);   // a GraphQL/JSON string literal

    private static byte[] Body(string query, object? variables = null) =>
        JsonSerializer.SerializeToUtf8Bytes(new { query, variables });

    private HttpCase Gql(string kind, string query, object? variables = null, FuzzCredential credential = FuzzCredential.Admin) =>
        new(kind, HttpMethod.Post, "graphql", Body(query, variables), "application/json", credential);

    private string Noise(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = (char)_r.Next(1, 0x2FFF);
        return new string(chars);
    }

    private string HostileText() => _r.Next(4) switch
    {
        0 => Pick(Sql),
        1 => Pick(Unicode),
        2 => Noise(_r.Next(1, 300)),
        _ => new string('x', _r.Next(1, 4) == 1 ? 100_000 : 5_000),
    };

    /// <summary>The HTTP corpus: <paramref name="count"/> requests, the kinds interleaved.</summary>
    public List<HttpCase> Http(int count)
    {
        var kinds = new (string Kind, int Weight, Func<HttpCase> Make)[]
        {
            ("malformed-json", 10, MalformedJson),
            ("content-type", 6, ContentType),
            ("oversized-body", 1, Oversized),
            ("bad-chunked", 2, BadChunked),
            ("deep-query", 3, DeepQuery),
            ("wide-query", 2, WideQuery),
            ("alias-bomb", 1, AliasBomb),
            ("fragment-bomb", 1, FragmentBomb),
            ("directive-bomb", 1, DirectiveBomb),
            ("batch", 3, Batch),
            ("wrong-scalar", 14, WrongScalar),
            ("page-size", 8, PageSize),
            ("bogus-cursor", 8, CursorCase),
            ("long-id", 3, LongId),
            ("note", 8, Note),
            ("sql-string", 8, SqlString),
            ("bad-token", 14, BadToken),
            ("bad-ingest-key", 5, BadIngestKey),
            ("method-and-get", 3, MethodAndGet),
            ("other-endpoints", 3, OtherEndpoints),
        };
        var total = kinds.Sum(k => k.Weight);
        var cases = new List<HttpCase>(count);
        for (var i = 0; i < count; i++)
        {
            var roll = _r.Next(total);
            foreach (var (_, weight, make) in kinds)
            {
                if (roll < weight) { cases.Add(make()); break; }
                roll -= weight;
            }
        }
        return cases;
    }

    private HttpCase MalformedJson()
    {
        var valid = Encoding.UTF8.GetString(Body("{ providers { id } }"));
        string text = _r.Next(12) switch
        {
            0 => valid[.._r.Next(1, valid.Length - 1)],
            1 => new string('[', _r.Next(65, 20_000)),
            2 => string.Concat(Enumerable.Repeat("{\"a\":", _r.Next(65, 5_000))),
            3 => "null",
            4 => Q("{ providers { id } }"),
            5 => _r.Next().ToString(),
            6 => """{"query": 42}""",
            7 => """{"query": "{ providers { id } }", "variables": "not an object"}""",
            8 => """{"query": "{ providers { id } }", "extensions": [1,2]}""",
            // A valid object followed by one or more extra braces (the first of 2..10 closes the object).
            9 => """{"query": "{ providers { id } }" """ + new string('}', _r.Next(2, 11)),
            10 => """{"query": "{ providers { id } }", "query": "mutation { configureOrg(input: {plan: ENTERPRISE}) { plan } }", "variables": {"x": }""",
            _ => Noise(_r.Next(1, 2_000)),
        };
        var bytes = Encoding.UTF8.GetBytes(text);
        if (_r.Next(5) == 0) bytes = [.. bytes, 0xC3, 0x28, 0xFF, 0xFE];   // invalid UTF-8
        return new HttpCase("malformed-json", HttpMethod.Post, "graphql", bytes, "application/json");
    }

    private HttpCase ContentType()
    {
        var type = Pick<string?>([
            "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/graphql", "application/json; charset=latin1",
            "application/xml", "application/json; charset=utf-16", "*/*", "application/jsonx", null, "image/png", "text/html",
        ]);
        var body = _r.Next(3) == 0 ? Encoding.UTF8.GetBytes("query={ providers { id } }") : Body("mutation { configureOrg(input: { plan: ENTERPRISE }) { plan } }");
        return new HttpCase("content-type", HttpMethod.Post, "graphql", body, type);
    }

    private HttpCase Oversized()
    {
        // A valid mutation padded past the 1 MB cap: were it read, it would act.
        var padding = new string(' ', 1024 * 1024 + _r.Next(1, 64 * 1024));
        var body = Body("mutation { configureOrg(input: { plan: ENTERPRISE }) { plan } }" + padding);
        return new HttpCase("oversized-body", HttpMethod.Post, "graphql", body, "application/json", Chunked: _r.Next(2) == 0);
    }

    private HttpCase BadChunked()
    {
        var size = Pick(["FFFFFFFFFFFFFFFFFF", "-1", "zz", "1;" + new string('x', 5000), "7FFFFFFFFFFFFFFF", " ", "0x10", "100000000000000000000"]);
        var raw = "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + tokens.Admin +
                  "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + size + "\r\n{\"query\":\"{ providers { id } }\"}\r\n0\r\n\r\n";
        return new HttpCase("bad-chunked", HttpMethod.Post, "graphql", null, null, Raw: Encoding.ASCII.GetBytes(raw));
    }

    private HttpCase DeepQuery()
    {
        var depth = Pick([16, 20, 64, 200, 1_000, 5_000, 20_000]);
        var query = _r.Next(2) == 0
            ? "{ " + string.Concat(Enumerable.Repeat("billingRow(id: \"x\") { auditTrail { ", depth)) + "at" + new string('}', depth * 2) + " }"
            : string.Concat(Enumerable.Repeat("{ a ", depth)) + new string('}', depth);
        return Gql("deep-query", query);
    }

    private HttpCase WideQuery()
    {
        var width = Pick([300, 1_000, 3_000, 10_000]);
        var fields = string.Join(' ', Enumerable.Range(0, width).Select(i => $"p{i}: providers {{ id name }}"));
        return Gql("wide-query", "{ " + fields + " }");
    }

    private HttpCase AliasBomb()
    {
        var count = Pick([100, 500, 1_000, 5_000]);
        var fields = string.Join(' ', Enumerable.Range(0, count).Select(i => $"a: billingRow(id: \"x{i}\") {{ id }}"));
        return Gql("alias-bomb", "{ " + fields + " }");
    }

    private HttpCase FragmentBomb()
    {
        var levels = Pick([10, 20, 26, 30]);
        var sb = new StringBuilder("query { ...L" + levels + " }\nfragment L0 on Query { providers { id } }\n");
        for (var i = 1; i <= levels; i++) sb.Append($"fragment L{i} on Query {{ ...L{i - 1} ...L{i - 1} }}\n");
        return Gql("fragment-bomb", sb.ToString());
    }

    private HttpCase DirectiveBomb()
    {
        var count = Pick([1_000, 5_000, 10_000]);
        return Gql("directive-bomb", "{ providers { id " + string.Concat(Enumerable.Repeat("@skip(if: false) ", count)) + "} }");
    }

    private HttpCase Batch()
    {
        var one = "{\"query\":\"mutation { configureOrg(input: { plan: ENTERPRISE }) { plan } }\"}";
        var n = _r.Next(0, 200);
        return new HttpCase("batch", HttpMethod.Post, "graphql", Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Repeat(one, n)) + "]"), "application/json");
    }

    private string BadScalar() => Pick([
        "123", "-1", "true", "null", "[1,2]", "{ a: 1 }", "\"\"", "\"not-a-date\"", "\"0001-01-02\"", "\"9999-12-31\"", "\"2026-02-30\"", "\"1e400\"",
        "1e400", "\"NaN\"", "\"Infinity\"", "\"-0\"", "\"79228162514264337593543950336\"", "2147483648", "BOGUS_ENUM", "\"2026-13\"", "\"1999-01\"", "$undefined",
        Q(Pick(Unicode)), "\"" + new string('9', 400) + "\"",
    ]);

    /// <summary>A NUL in a GraphQL string literal: makes an ingested item invalid whatever else it says, so a fuzzed scalar that happens to parse still lands nothing.</summary>
    private const string Nul = "a\\u0000b";

    private HttpCase WrongScalar()
    {
        var bad = BadScalar();
        var query = _r.Next(12) switch
        {
            0 => $"{{ reconciliation(period: {bad}) {{ summary {{ billed }} }} }}",
            1 => $"{{ attribution(asOf: {bad}) {{ total }} }}",
            2 => $"{{ attribution(asOf: \"2000-01-10\", range: {Pick(["LAST_YEAR", "QUARTER_TO_DATE", "LAST_7_DAYS", bad])}) {{ total byProvider {{ key amount }} }} }}",
            3 => $"{{ sessions(range: {bad}) {{ totalCount }} }}",
            4 => $"{{ attribution(costMode: {bad}) {{ total }} }}",
            5 => $"{{ billingRow(id: {bad}) {{ id }} }}",
            6 => $"{{ reconciliation(period: \"{Period}\", statuses: {bad}) {{ summary {{ billed }} }} }}",
            7 => $"mutation {{ applyRowAction(input: {{ rowId: {Q(rowId)}, action: {bad}, note: \"n\", expectedVersion: 9999 }}) {{ row {{ id }} }} }}",
            8 => $"mutation {{ ingestBillingRows(input: {{ providerId: \"claude\", rows: [{{ externalId: \"fz\", subject: \"{Nul}\", usageDate: {bad}, totalCostUsd: \"1\" }}] }}) {{ accepted }} }}",
            9 => $"mutation {{ ingestBillingRows(input: {{ providerId: \"claude\", rows: [{{ externalId: \"fz\", subject: \"{Nul}\", usageDate: \"2026-11-05\", totalCostUsd: {bad} }}] }}) {{ accepted }} }}",
            10 => $"mutation {{ ingestSessions(input: {{ sessions: [{{ id: \"fz\", subject: \"alice\", providerId: \"claude\", model: \"{Nul}\", startedAt: {bad}, inputTokens: 1, outputTokens: 1 }}] }}) {{ accepted }} }}",
            _ => $"mutation {{ ingestSessions(input: {{ sessions: [{{ id: \"fz\", subject: \"alice\", providerId: \"claude\", model: \"{Nul}\", startedAt: \"2026-11-05T00:00:00Z\", inputTokens: {bad}, outputTokens: -5 }}] }}) {{ accepted }} }}",
        };
        // Half of them through variables, where the scalar parsers (not the literal validation) see the value.
        if (_r.Next(2) == 0 && query.StartsWith("{ attribution(asOf: "))
        {
            object? value = _r.Next(4) switch { 0 => 123, 1 => "0001-01-02", 2 => new[] { 1 }, _ => "2026-02-30" };
            return Gql("wrong-scalar", "query($d: Date) { attribution(asOf: $d) { total } }", new { d = value });
        }
        if (_r.Next(3) == 0)
        {
            object? value = _r.Next(5) switch { 0 => "1e400", 1 => 1e300, 2 => "NaN", 3 => new { a = 1 }, _ => "-79228162514264337593543950336" };
            return Gql("wrong-scalar", "mutation($r: [BillingRowInput!]!) { ingestBillingRows(input: { providerId: \"claude\", rows: $r }) { accepted } }",
                new { r = new[] { new { externalId = "fz-var", subject = "a\u0000b", usageDate = "2026-11-05", totalCostUsd = value } } });
        }
        return Gql("wrong-scalar", query);
    }

    private HttpCase PageSize()
    {
        var first = Pick(["2147483647", "-1", "-2147483648", "0", "2147483648", "99999999999999999999", "1e10", "201", "-0", "1.5"]);
        var query = _r.Next(4) switch
        {
            0 => $"{{ reconciliation(period: \"{Period}\", first: {first}) {{ rows {{ totalCount edges {{ cursor }} }} }} }}",
            1 => $"{{ sessions(first: {first}) {{ totalCount edges {{ cursor }} }} }}",
            2 => $"{{ auditLog(first: {first}) {{ totalCount }} }}",
            _ => $"{{ attribution {{ topSpenders(first: {first}) {{ key }} }} }}",
        };
        return Gql("page-size", query);
    }

    private string BogusCursor() => _r.Next(7) switch
    {
        0 => Convert.ToBase64String(Encoding.UTF8.GetBytes(Pick(Sql))),
        1 => Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"s\":\"" + new string('9', 500) + "\"}")),
        2 => Noise(_r.Next(1, 100)),
        3 => new string('A', 100_000),
        4 => "===",
        5 => Convert.ToBase64String(Encoding.UTF8.GetBytes("-1|" + long.MinValue)),
        _ => Convert.ToBase64String(Enumerable.Range(0, _r.Next(1, 64)).Select(_ => (byte)_r.Next(256)).ToArray()),
    };

    private HttpCase CursorCase()
    {
        var cursor = Q(BogusCursor());
        var query = _r.Next(4) switch
        {
            0 => $"{{ reconciliation(period: \"{Period}\", after: {cursor}) {{ rows {{ edges {{ cursor }} }} }} }}",
            1 => $"{{ sessions(after: {cursor}) {{ edges {{ cursor }} }} }}",
            2 => $"{{ auditLog(after: {cursor}) {{ totalCount }} }}",
            _ => $"{{ contentAccessDenials(before: {cursor}) {{ totalCount }} }}",
        };
        return Gql("bogus-cursor", query);
    }

    private HttpCase LongId()
    {
        var id = Q(new string(Pick(['x', '/', 'é', '\'']), 100_000));
        var query = _r.Next(6) switch
        {
            0 => $"{{ billingRow(id: {id}) {{ id }} }}",
            1 => $"{{ session(id: {id}) {{ id }} }}",
            2 => $"{{ myUsage(personId: {id}) {{ total }} }}",
            3 => $"{{ reconciliation(period: \"{Period}\", provider: {id}) {{ summary {{ billed }} }} }}",
            4 => $"{{ attribution(scope: {{ teamId: {id} }}) {{ total }} }}",
            _ => $"mutation {{ applyRowAction(input: {{ rowId: {id}, action: WRITE_OFF, note: \"n\" }}) {{ row {{ id }} }} }}",
        };
        return Gql("long-id", query);
    }

    private HttpCase Note()
    {
        // Every action here must fail: a stale expectedVersion, an impossible transition, or an unknown row.
        var note = HostileText();
        var (row, action, version) = _r.Next(3) switch
        {
            0 => (rowId, Pick(["WRITE_OFF", "CONFIRM", "DEFER", "REOPEN"]), rowVersion + 1000),
            1 => (rowId, "REOPEN", rowVersion),                                      // the row is unreconciled: nothing to reopen
            _ => ("claude/" + Truncated(HostileText(), 50), "WRITE_OFF", 1),
        };
        return Gql("note", "mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { id status version } } }",
            new { i = new { rowId = row, action, note, expectedVersion = version } });
    }

    private static string Truncated(string s, int length) => s.Length > length ? s[..length] : s;

    private HttpCase SqlString()
    {
        var s = Q(Pick(Sql));
        var query = _r.Next(9) switch
        {
            0 => $"{{ billingRow(id: {s}) {{ id }} }}",
            1 => $"{{ reconciliation(period: {s}) {{ summary {{ billed }} }} }}",
            2 => $"{{ reconciliation(period: \"{Period}\", provider: {s}) {{ summary {{ billed }} }} }}",
            3 => $"{{ sessions(filter: {{ model: {s}, providerId: {s} }}) {{ totalCount }} }}",
            4 => $"{{ myUsage(personId: {s}) {{ total }} }}",
            5 => $"{{ auditLog(filter: {{ actor: {s} }}) {{ totalCount }} }}",
            6 => $"mutation {{ ingestBillingRows(input: {{ providerId: {s}, rows: [{{ externalId: {s}, usageDate: \"2026-11-05\", totalCostUsd: \"1\" }}] }}) {{ accepted rejected {{ code }} }} }}",
            7 => $"mutation {{ markSessionProject(input: {{ sessionId: {s}, projectId: {s} }}) {{ id }} }}",
            _ => $"mutation {{ revokeIngestKey(id: {s}) {{ id }} }}",
        };
        return Gql("sql-string", query);
    }

    private const string Acting = "mutation { configureOrg(input: { plan: ENTERPRISE }) { plan } }";

    private HttpCase BadToken()
    {
        var token = tokens.Bad(_r);
        return new HttpCase("bad-token", HttpMethod.Post, "graphql", Body(Acting), "application/json", FuzzCredential.Literal, token);
    }

    private HttpCase BadIngestKey()
    {
        var secret = _r.Next(5) switch
        {
            0 => "fsk_" + Convert.ToBase64String(Enumerable.Range(0, 32).Select(_ => (byte)_r.Next(256)).ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            1 => "fsk_",
            2 => "fsk_" + new string('A', _r.Next(60, 10_000)),
            3 => tokens.IngestKey[..^1] + (tokens.IngestKey[^1] == 'A' ? 'B' : 'A'),
            _ => "FSK_" + tokens.IngestKey[4..],
        };
        var path = Pick(["graphql", "v1/logs", "v1/metrics"]);
        var body = path == "graphql"
            ? Body("mutation { ingestBillingRows(input: { providerId: \"claude\", rows: [{ externalId: \"fz-key\", usageDate: \"2026-11-05\", totalCostUsd: \"1\" }] }) { accepted } }")
            : Encoding.UTF8.GetBytes("{\"resourceLogs\":[]}");
        return new HttpCase("bad-ingest-key", HttpMethod.Post, path, body, "application/json", FuzzCredential.Literal, "Bearer " + secret);
    }

    private HttpCase MethodAndGet()
    {
        return _r.Next(6) switch
        {
            0 => new HttpCase("method-and-get", Pick([HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options]), "graphql", Body(Acting), "application/json"),
            1 => new HttpCase("method-and-get", HttpMethod.Get, "graphql?query=" + Uri.EscapeDataString(Acting), null, null),
            2 => new HttpCase("method-and-get", HttpMethod.Get, "graphql?query=" + Uri.EscapeDataString("{ providers { id } }") + "&variables=" + Uri.EscapeDataString(Pick(["[", "1", "\"x\"", "{\"a\":"])), null, null),
            3 => new HttpCase("method-and-get", HttpMethod.Get, "graphql?query=a&query=b", null, null),
            4 => new HttpCase("method-and-get", HttpMethod.Get, "graphql?query=" + Uri.EscapeDataString("subscription { periodSummaryChanged(period: \"2026-11\") { billed } }"), null, null),
            _ => Gql("method-and-get", "subscription { rowStatusChanged(after: " + Q(BogusCursor()) + ") { cursor } }"),
        };
    }

    private HttpCase OtherEndpoints()
    {
        return _r.Next(6) switch
        {
            0 => new HttpCase("other-endpoints", HttpMethod.Post, "v1/logs", Encoding.UTF8.GetBytes(Pick(["{", "[]", "{\"resourceLogs\": 5}", Noise(500)])), "application/json", FuzzCredential.IngestKey),
            1 => new HttpCase("other-endpoints", HttpMethod.Post, "v1/metrics", Enumerable.Range(0, _r.Next(1, 2_000)).Select(_ => (byte)_r.Next(256)).ToArray(), "application/x-protobuf", FuzzCredential.IngestKey),
            2 => new HttpCase("other-endpoints", HttpMethod.Get, "exports/" + Uri.EscapeDataString(Pick(Sql)) + "?t=" + Uri.EscapeDataString(BogusCursor()), null, null),
            3 => new HttpCase("other-endpoints", HttpMethod.Post, "auth/session", null, null, FuzzCredential.Literal, tokens.Bad(_r)),
            4 => new HttpCase("other-endpoints", HttpMethod.Get, "dashboard/", null, null, FuzzCredential.Literal, tokens.Bad(_r)),
            _ => new HttpCase("other-endpoints", HttpMethod.Get, "metrics/subscriptions", null, null, FuzzCredential.Literal, tokens.Bad(_r)),
        };
    }

    /// <summary>The WebSocket corpus: <paramref name="count"/> connections.</summary>
    public List<WebSocketCase> WebSockets(int count)
    {
        var cases = new List<WebSocketCase>(count);
        for (var i = 0; i < count; i++) cases.Add(WebSocket());
        return cases;
    }

    private static string Init(string? authorization) =>
        authorization is null ? """{"type":"connection_init"}""" : JsonSerializer.Serialize(new { type = "connection_init", payload = new { authorization } });

    private static string Subscribe(string id, string query) => JsonSerializer.Serialize(new { id, type = "subscribe", payload = new { query } });

    private WebSocketCase WebSocket()
    {
        switch (_r.Next(8))
        {
            case 0: return new("ws-bad-token", false, [Init(tokens.Bad(_r))]);
            case 1: return new("ws-malformed", false, [Pick(["{", "[]", "null", "{\"type\":5}", "{\"type\":\"connection_init\",\"payload\":\"x\"}", Noise(200)])]);
            case 2: return new("ws-protocol", false, [Subscribe("1", "{ providers { id } }")]);                        // before init: 4401
            case 3: return new("ws-protocol", true, [Pick([Init("Bearer " + tokens.Admin), "{\"type\":\"complete\"}", "{\"type\":\"bogus\"}", null, "{\"id\":\"x\",\"type\":\"next\"}"])]);
            case 4: return new("ws-protocol", false, [Init("Bearer " + tokens.Admin)], SubProtocol: Pick(["graphql-ws", "bogus"]));
            case 5: return new("ws-oversized", true, [Subscribe("big", "{ providers { id } }" + new string(' ', 1024 * 1024 + 10))]);
            default:
                // Hostile operations on an acknowledged connection; subscriptions that might go live are cancelled at once.
                var frames = new List<string?>();
                var cancels = new List<string>();
                for (var i = 0; i < _r.Next(3, 12); i++)
                {
                    var id = "op" + i;
                    var http = Http(1)[0];
                    while (!OverWebSocket.Contains(http.Kind)) http = Http(1)[0];
                    if (_r.Next(3) == 0)
                    {
                        frames.Add(Subscribe(id, Pick([
                            "subscription { rowStatusChanged(after: " + Q(BogusCursor()) + ") { cursor } }",
                            "subscription { rowStatusChanged(period: " + Q(Pick(Sql)) + ", provider: " + Q(HostileText()) + ") { cursor } }",
                            "subscription { periodSummaryChanged(period: " + BadScalar() + ") { billed } }",
                            "subscription { a: periodSummaryChanged(period: \"2026-11\") { billed } b: rowStatusChanged { cursor } }",
                        ])));
                        cancels.Add(id);
                    }
                    else if (http.Body is { } body && http.ContentType == "application/json" && http.Credential == FuzzCredential.Admin
                             && TryQuery(body) is { } query && !query.TrimStart().StartsWith("subscription"))
                        frames.Add(Subscribe(id, query));
                    else
                        frames.Add(Subscribe(id, "{ billingRow(id: " + Q(HostileText()) + ") { id } }"));
                    if (_r.Next(10) == 0) frames.Add(Subscribe(id, "{ providers { id } }"));   // a duplicate id: 4409
                }
                return new("ws-hostile-ops", true, frames, CancelIds: cancels);
        }
    }

    /// <summary>The kinds whose documents are reads or must fail whatever the transport (others carry acting mutations that only their HTTP framing refuses).</summary>
    private static readonly HashSet<string> OverWebSocket =
        ["wrong-scalar", "page-size", "bogus-cursor", "long-id", "note", "sql-string", "deep-query", "wide-query", "alias-bomb", "fragment-bomb", "directive-bomb"];

    private static string? TryQuery(byte[] body)
    {
        try { return JsonDocument.Parse(body).RootElement.GetProperty("query").GetString(); }
        catch (Exception) { return null; }
    }
}
