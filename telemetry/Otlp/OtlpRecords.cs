using Google.Protobuf;

namespace Flowstate.Telemetry.Otlp;

/// <summary>Flattens export requests into <see cref="TelemetryRecord"/>s, numbered in document order.</summary>
public static class OtlpRecords
{
    public static IEnumerable<TelemetryRecord> Of(ExportLogsServiceRequest request)
    {
        var index = 0;
        foreach (var rl in request.ResourceLogs)
        foreach (var sl in rl.ScopeLogs)
        foreach (var r in sl.LogRecords)
            yield return new TelemetryRecord
            {
                Index = index++, Signal = OtlpSignal.Log,
                Name = r.EventName.Length > 0 ? r.EventName : null,
                Body = r.Body?.ValueCase == AnyValue.ValueOneofCase.StringValue ? r.Body.StringValue : null,
                TimeUnixNano = r.TimeUnixNano, ObservedTimeUnixNano = r.ObservedTimeUnixNano,
                Attributes = new AttributeSet(r.Attributes, rl.Resource?.Attributes),
            };
    }

    public static IEnumerable<TelemetryRecord> Of(ExportMetricsServiceRequest request)
    {
        var index = 0;
        foreach (var rm in request.ResourceMetrics)
        foreach (var sm in rm.ScopeMetrics)
        foreach (var m in sm.Metrics)
        {
            var (points, cumulative) = m.DataCase switch
            {
                Metric.DataOneofCase.Sum => (m.Sum.DataPoints, m.Sum.AggregationTemporality == AggregationTemporality.Cumulative),
                Metric.DataOneofCase.Gauge => (m.Gauge.DataPoints, false),
                _ => (null, false),
            };
            if (points is null) continue;
            foreach (var p in points)
                yield return new TelemetryRecord
                {
                    Index = index++, Signal = OtlpSignal.Metric, Name = m.Name,
                    TimeUnixNano = p.TimeUnixNano, StartTimeUnixNano = p.StartTimeUnixNano,
                    Attributes = new AttributeSet(p.Attributes, rm.Resource?.Attributes),
                    Value = p.ValueCase switch
                    {
                        NumberDataPoint.ValueOneofCase.AsDouble => p.AsDouble,
                        NumberDataPoint.ValueOneofCase.AsInt => p.AsInt,
                        _ => null,
                    },
                    Cumulative = cumulative,
                };
        }
    }

    public static IEnumerable<TelemetryRecord> Of(ExportTraceServiceRequest request)
    {
        var index = 0;
        foreach (var rs in request.ResourceSpans)
        foreach (var ss in rs.ScopeSpans)
        foreach (var s in ss.Spans)
            yield return new TelemetryRecord
            {
                Index = index++, Signal = OtlpSignal.Span, Name = s.Name,
                TimeUnixNano = s.StartTimeUnixNano, StartTimeUnixNano = s.StartTimeUnixNano,
                Attributes = new AttributeSet(s.Attributes, rs.Resource?.Attributes),
                SpanId = s.SpanId.IsEmpty ? null : Convert.ToHexStringLower(s.SpanId.Span),
            };
    }

    /// <summary>Records in an export (for the count of a partial success).</summary>
    public static int Count(IMessage request) => request switch
    {
        ExportLogsServiceRequest l => l.ResourceLogs.Sum(r => r.ScopeLogs.Sum(s => s.LogRecords.Count)),
        ExportMetricsServiceRequest m => m.ResourceMetrics.Sum(r => r.ScopeMetrics.Sum(s => s.Metrics.Sum(x =>
            x.DataCase switch { Metric.DataOneofCase.Sum => x.Sum.DataPoints.Count, Metric.DataOneofCase.Gauge => x.Gauge.DataPoints.Count, _ => 0 }))),
        ExportTraceServiceRequest t => t.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count)),
        _ => 0,
    };
}
