// Starts the vendored GraphiQL (no CDN) against this server's /graphql endpoint.
const root = ReactDOM.createRoot(document.getElementById('graphiql'))
const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).href })
root.render(React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }))
