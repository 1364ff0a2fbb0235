// Starts GraphiQL against the endpoint that served this page: queries and mutations over HTTP,
// subscriptions over the same path with graphql-ws (graphql-transport-ws).
(function () {
  var url = location.origin + location.pathname;
  var fetcher = GraphiQL.createFetcher({
    url: url,
    wsClient: graphqlWs.createClient({ url: url.replace(/^http/, 'ws'), lazy: true, retryAttempts: 3 }),
  });
  var defaultQuery = [
    '# Flowstate. Try a query (Ctrl-Enter runs it), or a subscription:',
    '#   subscription { rowStatusChanged { cursor fromStatus toStatus action actor row { id status } } }',
    '{',
    '  providers { id name coverage }',
    '}',
    '',
  ].join('\n');
  ReactDOM.createRoot(document.getElementById('graphiql'))
    .render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery }));
})();
