import { estBaseUrl } from '../../api/client.js';

/**
 * How a gateway uses a new enrolment token (docs/devices.md "Enrolment"):
 * with openssl and curl, or any EST client (RFC 7030). The token itself is
 * left out of the commands, so it does not end up in shell history.
 */
export function EnrolmentUsage({ organisationId }: { readonly organisationId: string }) {
  const est = estBaseUrl();
  const commands = [
    'openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout device.key \\',
    '  -subj "/serialNumber=SN-0001/CN=gateway" -outform DER | base64 > device.csr.b64',
    'curl -u "device:$VIGIL_ENROLMENT_TOKEN" -H \'Content-Type: application/pkcs10\' \\',
    `  --data-binary @device.csr.b64 ${est}/simpleenroll > device.p7.b64`,
    'base64 -d device.p7.b64 | openssl pkcs7 -inform DER -print_certs > device.pem',
  ].join('\n');
  return (
    <div className="usage" data-testid="enrolment-usage">
      <h3>Enrol a gateway with it</h3>
      <p>
        On the gateway, with the token in <code>VIGIL_ENROLMENT_TOKEN</code> and its hardware serial
        number in the subject:
      </p>
      <pre className="code-block">{commands}</pre>
      <p className="hint">
        Any EST client (RFC 7030) works: the server is <code>{est}</code>, and the token goes as the
        HTTP Basic password (any user name) or as <code>Authorization: Bearer</code>. The CA
        certificates are at <code>{`${est}/${organisationId}/cacerts`}</code>. Add{' '}
        <code>--cacert</code> to curl if this server’s TLS certificate is not publicly trusted.
      </p>
    </div>
  );
}
