import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Prints `f <bits> <Float.toString>` and `d <bits> <Double.toString>` lines for random and edge values, the
 * reference for runtime/data/java-float.ts (test/unit/data/java-float.test.ts). Usage: java FloatVectors.java SEED N
 */
public class FloatVectors {
  public static void main(String[] args) throws Exception {
    Random r = new Random(Long.parseLong(args[0]));
    int n = Integer.parseInt(args[1]);
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    float[] fe = {Float.MIN_VALUE, Float.MAX_VALUE, Float.MIN_NORMAL, 1.17549435e-38f, -3.40282e+38f, 0.1f, 1e7f,
        1e-3f, 9.999999e-4f, 3.4028235e38f, 123456.7f, 0.3f, 2f / 3f, 1e10f, 100f, 16777216f, 7212.40625f, 1.5f};
    double[] de = {Double.MIN_VALUE, Double.MAX_VALUE, Double.MIN_NORMAL, 1e23, 2e23, 1e-3, 1e7, 0.1, 1.0E22,
        9007199254740993.0, 9.223372036854776E18, 1.7976931348623157e308, 4.9e-324, 0.5, 1e-5, 123.456};
    for (float x : fe) f(out, x);
    for (double y : de) d(out, y);
    for (int i = 0; i < n; i++) {
      f(out, Float.intBitsToFloat(r.nextInt()));
      d(out, Double.longBitsToDouble(r.nextLong()));
      // decimal-looking values as a database holds them, at every magnitude, and binary fractions (ties)
      f(out, (float) (r.nextInt(2000000) / Math.pow(10, r.nextInt(12))));
      d(out, r.nextInt(2000000000) / Math.pow(10, r.nextInt(20) - 3));
      f(out, r.nextInt(1 << 20) / (float) (1 << r.nextInt(24)));
      d(out, r.nextLong() / Math.pow(2, r.nextInt(80)));
    }
    out.flush();
  }

  static void f(BufferedWriter out, float x) throws Exception {
    if (Float.isNaN(x)) return;
    out.write("f " + Float.floatToRawIntBits(x) + " " + Float.toString(x) + "\n");
  }

  static void d(BufferedWriter out, double x) throws Exception {
    if (Double.isNaN(x)) return;
    out.write("d " + Double.doubleToRawLongBits(x) + " " + Double.toString(x) + "\n");
  }
}
