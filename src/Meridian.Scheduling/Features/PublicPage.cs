using System.Net;
using Microsoft.AspNetCore.Http;

namespace Meridian.Scheduling.Features;

/// <summary>
/// The small pages a patient opens from a message (offer, confirm). Anonymous: the unguessable token in the address is
/// the patient's authority. They show no PHI beyond the first name and the time, every value is HTML-encoded, and the
/// status code says what happened (404 unknown link, 410 no longer valid) for scripts and link checkers.
/// </summary>
internal static class PublicPage
{
    public static IResult Render(int status, string title, string bodyHtml) =>
        Results.Content($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1.0" />
                <meta name="robots" content="noindex" />
                <meta name="referrer" content="no-referrer" />
                <title>{{E(title)}}</title>
                <link rel="stylesheet" href="/lib/bootstrap/css/bootstrap.min.css" />
            </head>
            <body>
            <main class="container py-4" style="max-width: 36rem">
            <h1 class="h4 mb-3">{{E(title)}}</h1>
            {{bodyHtml}}
            </main>
            </body>
            </html>
            """, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A POST button; the token is already in the action's path.</summary>
    public static string Button(string action, string label, string css) =>
        $"""<form method="post" action="{E(action)}" class="d-inline me-2"><button type="submit" class="btn {css}">{E(label)}</button></form>""";
}
