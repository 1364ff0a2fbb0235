using System.Text;
using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Types;
using Flowstate.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.Silo.Exports;

/// <summary>
/// <c>GET /exports/{focus|rows|attribution}?period=YYYY-MM</c>: the period's file, streamed as it is
/// read. Authorized like GraphQL: the caller's token names the org, and the role must be admin or
/// finance (the same rule as <c>Query.exportLink</c>). Errors answer with the GraphQL error shape
/// and its stable code before anything is streamed.
/// </summary>
public static class ExportEndpoints
{
    public static readonly string[] AllowedRoles = [Roles.Admin, Roles.Finance];

    public static IEndpointRouteBuilder MapFlowstateExports(this IEndpointRouteBuilder app, Func<HttpContext, FlowstateUserContext?>? caller = null)
    {
        caller ??= http => FlowstateUserContext.FromClaims(http.User);
        app.MapGet(ExportLinks.Path + "/{format}", (HttpContext http, string format) => ExportAsync(http, format, caller));
        return app;
    }

    private static async Task ExportAsync(HttpContext http, string format, Func<HttpContext, FlowstateUserContext?> callerOf)
    {
        if (callerOf(http) is not { } caller)
        {
            await ErrorAsync(http, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, "Sign in: send a valid token as 'Authorization: Bearer <token>'.");
            return;
        }
        if (!AllowedRoles.Any(caller.IsInRole))
        {
            await ErrorAsync(http, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "Exports are for the admin and finance roles.");
            return;
        }
        if (!Enum.TryParse<ExportFormat>(format, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(format, out _))
        {
            await ErrorAsync(http, StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"No export '{format}': use focus, rows or attribution.");
            return;
        }
        if (!Period.TryParse(http.Request.Query["period"].ToString(), out var period))
        {
            await ErrorAsync(http, StatusCodes.Status400BadRequest, ErrorCodes.InvalidInput, "period is a month in the form YYYY-MM, e.g. ?period=2026-11.");
            return;
        }

        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{LedgerExporter.FileName(kind, period)}\"";
        http.Response.Headers.CacheControl = "no-store";
        var exporter = new LedgerExporter(http.RequestServices.GetRequiredService<ExportStore>(), http.RequestServices.GetRequiredService<IGrainFactory>());
        await using var text = new StreamWriter(http.Response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);
        await exporter.WriteAsync(kind, caller.Org, period, text, http.RequestAborted);
        await text.FlushAsync(http.RequestAborted);
    }

    private static Task ErrorAsync(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { errors = new[] { new { message, extensions = new { code } } } });
    }
}
