// Starts GraphiQL against the endpoint that served this page: queries and mutations over HTTP,
// subscriptions over the same path with graphql-ws (graphql-transport-ws).
// Signed in through the link `./flowstate up` prints (/graphql#token=…): the token is taken out of
// the URL fragment (which never reaches the server) at once and kept in this page's memory only;
// every request sends it as a bearer header, and the socket in its connection_init payload.
(function () {
  var url = location.origin + location.pathname;
  var match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  var token = match ? decodeURIComponent(match[1]) : null;
  if (match) history.replaceState(history.state, '', location.pathname + location.search);
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
    token ? '# Flowstate, signed in. Try a query (Ctrl-Enter runs it), or a subscription:'
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
