using System.Globalization;
using System.Text.Json;
using Google.Protobuf;

namespace Flowstate.Telemetry.Otlp;

/// <summary>
/// Reads OTLP/JSON (the protobuf JSON mapping with OTLP's deviations) into the generated messages.
/// Written over System.Text.Json rather than with Google.Protobuf's <c>JsonParser</c> for two reasons:
/// that parser reads 64-bit numbers through <c>double</c> (a nanosecond time sent as a bare number loses
/// its last digits), and it fails a whole document on one bad value, where OTLP wants one malformed
/// record rejected and the rest of the batch taken. Unknown fields are ignored, as the spec requires;
/// 64-bit integers are accepted as strings or numbers; trace and span ids are hex.
/// </summary>
public static class OtlpJsonReader
{
    /// <summary>A body that is not an OTLP JSON document of the expected kind (answered with 400).</summary>
    public sealed class NotOtlpException(string message) : Exception(message);

    public static (ExportLogsServiceRequest Request, IReadOnlyDictionary<int, string> Malformed) ReadLogs(byte[] json) => Envelope(() => Logs(json));
    public static (ExportMetricsServiceRequest Request, IReadOnlyDictionary<int, string> Malformed) ReadMetrics(byte[] json) => Envelope(() => Metrics(json));
    public static (ExportTraceServiceRequest Request, IReadOnlyDictionary<int, string> Malformed) ReadTraces(byte[] json) => Envelope(() => Traces(json));

    private static (ExportLogsServiceRequest, IReadOnlyDictionary<int, string>) Logs(byte[] json)
    {
        var request = new ExportLogsServiceRequest();
        var malformed = new Dictionary<int, string>();
        var index = 0;
        using var doc = Parse(json);
        foreach (var rl in Array(doc.RootElement, "resourceLogs"))
        {
            var resourceLogs = new ResourceLogs();
            var resourceError = TryRead(() => resourceLogs.Resource = ReadResource(rl));
            foreach (var sl in Array(rl, "scopeLogs"))
            {
                var scopeLogs = new ScopeLogs();
                var scopeError = resourceError ?? TryRead(() => scopeLogs.Scope = ReadScope(sl));
                foreach (var lr in Array(sl, "logRecords"))
                {
                    var record = new LogRecord();
                    var error = scopeError ?? TryRead(() => ReadLogRecord(lr, record));
                    if (error is not null) malformed[index] = error;
                    scopeLogs.LogRecords.Add(error is null ? record : new LogRecord());
                    index++;
                }
                resourceLogs.ScopeLogs.Add(scopeLogs);
            }
            request.ResourceLogs.Add(resourceLogs);
        }
        return (request, malformed);
    }

    private static (ExportMetricsServiceRequest, IReadOnlyDictionary<int, string>) Metrics(byte[] json)
    {
        var request = new ExportMetricsServiceRequest();
        var malformed = new Dictionary<int, string>();
        var index = 0;
        using var doc = Parse(json);
        foreach (var rm in Array(doc.RootElement, "resourceMetrics"))
        {
            var resourceMetrics = new ResourceMetrics();
            var resourceError = TryRead(() => resourceMetrics.Resource = ReadResource(rm));
            foreach (var sm in Array(rm, "scopeMetrics"))
            {
                var scopeMetrics = new ScopeMetrics();
                var scopeError = resourceError ?? TryRead(() => scopeMetrics.Scope = ReadScope(sm));
                foreach (var m in Array(sm, "metrics"))
                {
                    var metric = new Metric { Name = String(m, "name") ?? "", Unit = String(m, "unit") ?? "" };
                    Google.Protobuf.Collections.RepeatedField<NumberDataPoint>? points = null;
                    if (m.TryGetProperty("sum", out var data) && data.ValueKind == JsonValueKind.Object)
                    {
                        metric.Sum = new Sum
                        {
                            AggregationTemporality = (AggregationTemporality)(Int(data, "aggregationTemporality") ?? 0),
                            IsMonotonic = data.TryGetProperty("isMonotonic", out var mono) && mono.ValueKind == JsonValueKind.True,
                        };
                        points = metric.Sum.DataPoints;
                    }
                    else if (m.TryGetProperty("gauge", out data) && data.ValueKind == JsonValueKind.Object)
                    {
                        metric.Gauge = new Gauge();
                        points = metric.Gauge.DataPoints;
                    }
                    // Histograms and summaries are not read: their points are neither taken nor counted.
                    foreach (var dp in points is null ? [] : Array(data, "dataPoints"))
                    {
                        var point = new NumberDataPoint();
                        var error = scopeError ?? TryRead(() => ReadDataPoint(dp, point));
                        if (error is not null) malformed[index] = error;
                        points!.Add(error is null ? point : new NumberDataPoint());
                        index++;
                    }
                    scopeMetrics.Metrics.Add(metric);
                }
                resourceMetrics.ScopeMetrics.Add(scopeMetrics);
            }
            request.ResourceMetrics.Add(resourceMetrics);
        }
        return (request, malformed);
    }

    private static (ExportTraceServiceRequest, IReadOnlyDictionary<int, string>) Traces(byte[] json)
    {
        var request = new ExportTraceServiceRequest();
        var malformed = new Dictionary<int, string>();
        var index = 0;
        using var doc = Parse(json);
        foreach (var rs in Array(doc.RootElement, "resourceSpans"))
        {
            var resourceSpans = new ResourceSpans();
            var resourceError = TryRead(() => resourceSpans.Resource = ReadResource(rs));
            foreach (var ss in Array(rs, "scopeSpans"))
            {
                var scopeSpans = new ScopeSpans();
                var scopeError = resourceError ?? TryRead(() => scopeSpans.Scope = ReadScope(ss));
                foreach (var sp in Array(ss, "spans"))
                {
                    var span = new Span();
                    var error = scopeError ?? TryRead(() =>
                    {
                        span.Name = String(sp, "name") ?? "";
                        span.SpanId = Hex(sp, "spanId");
                        span.TraceId = Hex(sp, "traceId");
                        span.StartTimeUnixNano = UInt64(sp, "startTimeUnixNano");
                        span.EndTimeUnixNano = UInt64(sp, "endTimeUnixNano");
                        ReadAttributes(sp, span.Attributes);
                    });
                    if (error is not null) malformed[index] = error;
                    scopeSpans.Spans.Add(error is null ? span : new Span());
                    index++;
                }
                resourceSpans.ScopeSpans.Add(scopeSpans);
            }
            request.ResourceSpans.Add(resourceSpans);
        }
        return (request, malformed);
    }

    private static JsonDocument Parse(byte[] json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw new NotOtlpException($"The body is not JSON: {e.Message}"); }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new NotOtlpException("The body is not an OTLP export request (a JSON object).");
        }
        return doc;
    }

    /// <summary>A malformed value inside a record, named by where it was found.</summary>
    private sealed class MalformedException(string message) : Exception(message);

    private static string? TryRead(Action read)
    {
        try { read(); return null; }
        catch (MalformedException e) { return e.Message; }
        catch (InvalidOperationException) { return "a field has the wrong JSON type."; }   // e.g. a number where an object belongs
    }

    /// <summary>Runs a reader of the whole document: a wrong JSON type in the envelope means the body is not OTLP.</summary>
    private static T Envelope<T>(Func<T> read)
    {
        try { return read(); }
        catch (InvalidOperationException) { throw new NotOtlpException("The body is not an OTLP export request: an envelope field has the wrong JSON type."); }
    }

    /// <summary>The items of an envelope array; one that is not an array makes the body not OTLP.</summary>
    private static IEnumerable<JsonElement> Array(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null) return [];
        if (array.ValueKind != JsonValueKind.Array) throw new NotOtlpException($"'{name}' must be an array.");
        return array.EnumerateArray();
    }

    /// <summary>The items of an array inside a record: one that is not an array makes that record malformed.</summary>
    private static IEnumerable<JsonElement> Values(JsonElement parent, string where)
    {
        if (parent.ValueKind != JsonValueKind.Object) throw new MalformedException($"{where}: malformed array or kvlist value.");
        if (!parent.TryGetProperty("values", out var array) || array.ValueKind == JsonValueKind.Null) return [];
        if (array.ValueKind != JsonValueKind.Array) throw new MalformedException($"{where}: values must be an array.");
        return array.EnumerateArray();
    }

    private static Resource ReadResource(JsonElement parent)
    {
        var resource = new Resource();
        if (parent.TryGetProperty("resource", out var r) && r.ValueKind == JsonValueKind.Object) ReadAttributes(r, resource.Attributes);
        return resource;
    }

    private static InstrumentationScope ReadScope(JsonElement parent)
    {
        var scope = new InstrumentationScope();
        if (parent.TryGetProperty("scope", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            scope.Name = String(s, "name") ?? "";
            scope.Version = String(s, "version") ?? "";
        }
        return scope;
    }

    private static void ReadLogRecord(JsonElement e, LogRecord record)
    {
        record.TimeUnixNano = UInt64(e, "timeUnixNano");
        record.ObservedTimeUnixNano = UInt64(e, "observedTimeUnixNano");
        record.EventName = String(e, "eventName") ?? "";
        if (e.TryGetProperty("body", out var body) && body.ValueKind != JsonValueKind.Null) record.Body = ReadValue(body, "body");
        ReadAttributes(e, record.Attributes);
    }

    private static void ReadDataPoint(JsonElement e, NumberDataPoint point)
    {
        point.StartTimeUnixNano = UInt64(e, "startTimeUnixNano");
        point.TimeUnixNano = UInt64(e, "timeUnixNano");
        if (e.TryGetProperty("asDouble", out var d)) point.AsDouble = Double(d, "asDouble");
        else if (e.TryGetProperty("asInt", out var i)) point.AsInt = Int64(i, "asInt");
        ReadAttributes(e, point.Attributes);
    }

    private static void ReadAttributes(JsonElement parent, Google.Protobuf.Collections.RepeatedField<KeyValue> into)
    {
        if (!parent.TryGetProperty("attributes", out var attrs) || attrs.ValueKind == JsonValueKind.Null) return;
        if (attrs.ValueKind != JsonValueKind.Array) throw new MalformedException("attributes must be an array.");
        foreach (var kv in attrs.EnumerateArray()) into.Add(ReadKeyValue(kv));
    }

    private static KeyValue ReadKeyValue(JsonElement kv)
    {
        if (kv.ValueKind != JsonValueKind.Object || String(kv, "key") is not { } key)
            throw new MalformedException("an attribute has no key.");
        var pair = new KeyValue { Key = key };
        if (kv.TryGetProperty("value", out var v) && v.ValueKind != JsonValueKind.Null) pair.Value = ReadValue(v, key);
        return pair;
    }

    private static AnyValue ReadValue(JsonElement v, string where)
    {
        if (v.ValueKind != JsonValueKind.Object) throw new MalformedException($"{where}: the value is not an AnyValue object.");
        var value = new AnyValue();
        foreach (var p in v.EnumerateObject())
        {
            switch (p.Name)
            {
                case "stringValue": value.StringValue = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw Bad(where, "stringValue"); break;
                case "boolValue": value.BoolValue = p.Value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Bad(where, "boolValue") }; break;
                case "intValue": value.IntValue = Int64(p.Value, where); break;
                case "doubleValue": value.DoubleValue = Double(p.Value, where); break;
                case "bytesValue":
                    try { value.BytesValue = ByteString.FromBase64(p.Value.GetString() ?? ""); }
                    catch (Exception) { throw Bad(where, "bytesValue"); }
                    break;
                case "arrayValue":
                    var array = new ArrayValue();
                    foreach (var item in Values(p.Value, where)) array.Values.Add(ReadValue(item, where));
                    value.ArrayValue = array;
                    break;
                case "kvlistValue":
                    var list = new KeyValueList();
                    foreach (var item in Values(p.Value, where)) list.Values.Add(ReadKeyValue(item));
                    value.KvlistValue = list;
                    break;
            }
        }
        return value;
    }

    private static MalformedException Bad(string where, string kind) => new($"{where}: malformed {kind}.");

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    /// <summary>A 64-bit integer sent as a JSON number or a decimal string, read exactly.</summary>
    private static long Int64(JsonElement v, string where) => v.ValueKind switch
    {
        JsonValueKind.Number when v.TryGetInt64(out var n) => n,
        JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
        _ => throw Bad(where, "intValue"),
    };

    private static ulong UInt64(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return 0;
        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetUInt64(out var n) => n,
            JsonValueKind.String when ulong.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => throw new MalformedException($"{name} is not a 64-bit unsigned integer."),
        };
    }

    private static double Double(JsonElement v, string where) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.String => v.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw Bad(where, "doubleValue"),
        },
        _ => throw Bad(where, "doubleValue"),
    };

    private static ByteString Hex(JsonElement e, string name)
    {
        if (String(e, name) is not { Length: > 0 } hex) return ByteString.Empty;
        try { return ByteString.CopyFrom(Convert.FromHexString(hex)); }
        catch (FormatException) { throw new MalformedException($"{name} is not hex."); }
    }
}
