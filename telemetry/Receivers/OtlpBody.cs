using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Flowstate.Telemetry.Receivers;

/// <summary>
/// Reads an OTLP/HTTP body: gzip or not, at most <see cref="OtlpOptions.MaxBodyBytes"/> after
/// decompression (else 413), within <see cref="OtlpOptions.BodyTimeout"/> (a client that stalls is cut
/// off; reading is asynchronous, so a slow client holds no thread while it trickles).
/// </summary>
public static class OtlpBody
{
    public sealed class BodyException(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }

    public static async Task<byte[]> ReadAsync(HttpRequest request, OtlpOptions options, CancellationToken ct)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = options.MaxBodyBytes;
        if (request.ContentLength > options.MaxBodyBytes) throw TooLarge(options);
        var encoding = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.BodyTimeout);
        try
        {
            await using var source = encoding switch
            {
                "" or "identity" => request.Body,
                "gzip" => new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
                _ => throw new BodyException(StatusCodes.Status415UnsupportedMediaType, $"Content-Encoding '{encoding}' is not supported: send gzip or no encoding."),
            };
            var buffer = new MemoryStream(request.ContentLength is > 0 and var n && encoding.Length == 0 ? (int)n : 64 * 1024);
            var chunk = new byte[64 * 1024];
            for (int read; (read = await source.ReadAsync(chunk, timeout.Token)) > 0;)
            {
                if (buffer.Length + read > options.MaxBodyBytes) throw TooLarge(options);
                buffer.Write(chunk, 0, read);
            }
            return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new BodyException(StatusCodes.Status408RequestTimeout, $"The body did not arrive within {options.BodyTimeout.TotalSeconds:0} s.");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { throw TooLarge(options); }
        catch (InvalidDataException) { throw new BodyException(StatusCodes.Status400BadRequest, "The body is not valid gzip."); }
    }

    private static BodyException TooLarge(OtlpOptions options) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The body is larger than {options.MaxBodyBytes} bytes (after decompression); send smaller exports.");
}
