using Microsoft.Extensions.FileProviders;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// The web app (<c>web/</c>, which the build turns into <c>wwwroot/</c> in the output): the hashed
/// files under <c>/assets/</c> are cached for a year, and the app's own routes answer with its
/// index, never cached, so a deploy is picked up on the next load. Nothing comes from a CDN.
/// </summary>
public static class WebApp
{
    /// <summary>The paths the app routes itself (views are URLs: shareable, back and forward work).</summary>
    public static readonly string[] Routes = ["/", "/reconciliation/{**view}", "/attribution/{**view}", "/me", "/providers"];

    public static WebApplication MapWebApp(this WebApplication app, string root)
    {
        var index = Path.Combine(root, "index.html");
        if (!File.Exists(index)) return app;
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.Combine(root, "assets")),
            RequestPath = "/assets",
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=31536000, immutable",
        });
        foreach (var route in Routes)
            app.MapGet(route, (HttpContext http) =>
            {
                // The security headers (CSP and the rest) are every response's: WebSecurity.UseSecurityHeaders.
                http.Response.Headers.CacheControl = "no-cache";
                return Results.File(index, "text/html; charset=utf-8");
            });
        return app;
    }
}
