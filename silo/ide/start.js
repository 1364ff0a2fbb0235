// Starts GraphiQL against the endpoint that served this page: queries and mutations over HTTP,
// subscriptions over the same path with graphql-ws (graphql-transport-ws).
// Signed in through the link `./flowstate up` prints (/#token=… or /graphql#token=…): the token is
// taken out of the URL fragment (which never reaches the server) at once and traded for the
// browser session (POST /auth/session: an HttpOnly cookie no script can read), which every request
// and the socket then carry. The token itself is kept nowhere; a server without browser sessions
// gets it as a bearer header from this page's memory instead.
(async function () {
  var url = location.origin + location.pathname;
  var match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  var token = match ? decodeURIComponent(match[1]) : null;
  if (match) history.replaceState(history.state, '', location.pathname + location.search);
  var signIn = 'not signed in';
  if (token) {
    var exchanged = await fetch('/auth/session', { method: 'POST', credentials: 'same-origin', headers: { Authorization: 'Bearer ' + token } })
      .catch(function () { return null; });
    if (exchanged && exchanged.ok) token = null;   // the session cookie speaks for this page from now on
    else if (exchanged && (exchanged.status === 401 || exchanged.status === 403)) { token = null; signIn = 'rejected'; }
  }
  var me = await fetch('/auth/me', { credentials: 'same-origin', headers: token ? { Authorization: 'Bearer ' + token } : {} })
    .catch(function () { return null; });
  var who = me && me.ok ? await me.json().catch(function () { return null; }) : null;
  if (who || token) signIn = 'signed in';
  var auth = token ? { Authorization: 'Bearer ' + token } : {};
  var overHttp = GraphiQL.createFetcher({ url: url, headers: auth });
  var ws = graphqlWs.createClient({
    url: url.replace(/^http/, 'ws'), lazy: true, retryAttempts: 3,
    connectionParams: token ? { authorization: 'Bearer ' + token } : {},
  });

  // Which operation runs: the named one, else the first. Decided from the text sent, not from the
  // editor's parsed document, which can lag behind what was just typed (or pasted) and run.
  function isSubscription(query, operationName) {
    var text = (query || '').replace(/"""[\s\S]*?"""|"(?:\\.|[^"\\])*"|#[^\n]*/g, ' ');
    var re = /\b(query|mutation|subscription)\s*([_A-Za-z][_0-9A-Za-z]*)?|{/g, m;
    var depth = 0;
    for (var i = 0; i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}') depth--;
      else if (depth === 0) {
        re.lastIndex = i;
        m = re.exec(text);
        if (m && m.index === i && m[1] && (!operationName || m[2] === operationName)) return m[1] === 'subscription';
      }
    }
    return false;
  }

  function fetcher(params, opts) {
    return isSubscription(params.query, params.operationName) ? ws.iterate(params) : overHttp(params, opts);
  }
  var defaultQuery = [
    signIn === 'signed in'
      ? '# Flowstate, signed in' + (who ? ' as ' + who.sub + ' (' + who.org + ': ' + who.roles.join(', ') + ')' : '') + '. Try a query (Ctrl-Enter runs it), or a subscription:'
      : signIn === 'rejected'
        ? '# Flowstate. The sign-in link was not accepted (expired or not valid): get a fresh one with `./flowstate token`.'
        : '# Flowstate. Not signed in: open the sign-in link `./flowstate up` prints, or add /graphql#token=<token> to the URL.',
    '#   subscription { rowStatusChanged { cursor fromStatus toStatus action actor row { id status } } }',
    '{',
    '  providers { id name coverage }',
    '}',
    '',
  ].join('\n');
  ReactDOM.createRoot(document.getElementById('graphiql'))
    .render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery }));
})();
