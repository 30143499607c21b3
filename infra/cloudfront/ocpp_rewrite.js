// CloudFront Function (runtime cloudfront-js-2.0), viewer request, in front of the API Gateway WebSocket API.
//
// Chargers connect to wss://{host}/ocpp/{tenant}/{chargePointId}. API Gateway cannot route a path after the
// stage, so this moves the two path segments into the query string ({stage}/?tenant=..&cp=..); the origin
// path adds the stage. The ids stay percent-encoded as they arrived: API Gateway decodes query parameters
// once, so the $connect handler sees them decoded exactly once. A `tenant` or `cp` the charger sent in its
// own query string is replaced by the path's: the path is what the charger was configured with. Other query
// parameters are kept. Any other path is answered 404 here and never reaches API Gateway.
function handler(event) {
    var request = event.request;
    var match = /^\/ocpp\/([^\/]+)\/([^\/]+)\/?$/.exec(request.uri);
    if (!match) {
        return {statusCode: 404, statusDescription: 'Not Found'};
    }
    request.uri = '/';
    request.querystring.tenant = {value: match[1]};
    request.querystring.cp = {value: match[2]};
    return request;
}
