import java.io.FileInputStream;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;

/**
 * Prints the private key (PKCS#8) and certificate chain of one PKCS12 entry as PEM: the form of Kafka's PEM key
 * stores. keytool cannot export a private key and openssl is not always installed; Java always is where the broker
 * runs. Usage: java PemExport.java store.p12 password alias
 */
public class PemExport {
  public static void main(String[] args) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(args[0])) {
      store.load(in, args[1].toCharArray());
    }
    Base64.Encoder base64 = Base64.getMimeEncoder(64, new byte[] {'\n'});
    Key key = store.getKey(args[2], args[1].toCharArray());
    StringBuilder out = new StringBuilder();
    out.append("-----BEGIN PRIVATE KEY-----\n").append(base64.encodeToString(key.getEncoded())).append("\n-----END PRIVATE KEY-----\n");
    for (Certificate c : store.getCertificateChain(args[2])) {
      out.append("-----BEGIN CERTIFICATE-----\n").append(base64.encodeToString(c.getEncoded())).append("\n-----END CERTIFICATE-----\n");
    }
    System.out.print(out);
  }
}
